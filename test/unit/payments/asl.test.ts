import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import {
  AccountFrozenError,
  ConcurrencyConflictError,
  InsufficientFundsError,
  LedgerError,
} from '../../../lambdas/domain/errors.ts';
import {
  PaymentDeclinedError,
  ProcessorUnavailableError,
} from '../../../lambdas/domain/payments/processor.ts';
import type { LedgerPorts } from '../../../lambdas/domain/ports.ts';
import {
  BUSINESS_REJECTION,
  type CaughtError,
  failureReason,
  forStateMachine,
  TRANSIENT_ERRORS,
} from '../../../lambdas/handlers/saga/saga-error.ts';
import { sagaTask } from '../../../lambdas/handlers/saga/saga-task.ts';
import { PAYMENT_SAGA_DEFINITION, SAGA_TASKS } from '../../../lib/payment-saga.ts';
import { catchesOf, happyPath, reachableFrom, type StateMachineJson } from '../../../scripts/asl-paths.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const text = readFileSync(join(root, PAYMENT_SAGA_DEFINITION), 'utf8');
const asl = JSON.parse(text) as StateMachineJson;
const states = Object.entries(asl.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');

const FORWARD = ['ReserveFunds', 'AssessRisk', 'CaptureAtProcessor', 'PostTransfer'];
/** Forward steps that change state outside the payment stream, and the compensation that undoes each. */
const COMPENSATION: Record<string, string> = {
  ReserveFunds: 'VoidReservation',
  CaptureAtProcessor: 'RefundAtProcessor',
};

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Every LedgerError subclass exported by any module under lambdas/domain: the business rejections. */
async function ledgerErrorClasses(): Promise<ErrorClass[]> {
  const dir = join(root, 'lambdas', 'domain');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const found = new Set<ErrorClass>();
  for (const file of files) {
    const module = (await import(join(dir, file))) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && value.prototype instanceof LedgerError)
        found.add(value as ErrorClass);
    }
  }
  return [...found];
}

/** An instance of an error class whose constructor takes ids, amounts or lists (tries each in turn). */
function instantiate(cls: ErrorClass): Error {
  for (const arg of ['x', 1, ['x']]) {
    try {
      return Reflect.construct(cls, Array(cls.length).fill(arg)) as Error;
    } catch {
      // Try the next kind of argument.
    }
  }
  throw new Error(`Cannot construct ${cls.name} from ids, amounts or lists: give this test a fixture for it`);
}

const noDeps = () => ({ ports: {} as LedgerPorts });
const taskThrowing = (error: Error) =>
  sagaTask('Step', noDeps, () => Promise.reject(error)).main({ tenantId: 't', paymentId: 'p' }, noDeps());

describe('saga tasks and the ASL agree on error names', () => {
  it('rethrow every business rejection of the domain as the one business name, its class in the message', async () => {
    const classes = await ledgerErrorClasses();
    const names = classes.map((cls) => instantiate(cls).name);
    // The 13 names the ASL listed before it collapsed them: the walk above must find at least these.
    expect(names).toEqual(
      expect.arrayContaining([
        'PaymentDeclinedError',
        'InsufficientFundsError',
        'RiskRejectedError',
        'AccountFrozenError',
        'AccountClosedError',
        'AccountNotFoundError',
        'CurrencyMismatchError',
        'PaymentStateError',
        'PaymentNotFoundError',
        'TransferExistsWithDifferentFieldsError',
        'TransferAlreadyResolvedError',
        'PendingTransferExpiredError',
        'SameAccountError',
      ]),
    );
    for (const cls of classes) {
      const rejection = instantiate(cls);
      const thrown = await taskThrowing(rejection).catch((e: Error) => e);
      expect(thrown, cls.name).toMatchObject({
        name: BUSINESS_REJECTION,
        cause: rejection,
      });
      // The stable code in brackets is what failureReason reads; the message stays for the history.
      const { message } = thrown as Error;
      const { code } = rejection as LedgerError;
      expect(message, cls.name).toMatch(new RegExp(`^${rejection.name} \\[${code}[\\]:]`));
      expect(message, cls.name).toContain(`]: ${rejection.message}`);
      expect(TRANSIENT_ERRORS, cls.name).not.toContain(rejection.name);
      expect(text, cls.name).not.toContain(`"${rejection.name}"`);
    }
  });

  it('let transient errors through under their own names, which the ASL retries', async () => {
    const transient = [
      new ConcurrencyConflictError(['payment#t#p']),
      new ProcessorUnavailableError('The processor is unavailable'),
      new DynamoDbAdapterError('throttled'),
    ];
    for (const error of transient) {
      expect(forStateMachine(error)).toBe(error);
      expect(TRANSIENT_ERRORS).toContain(error.name);
    }
    await expect(taskThrowing(new DynamoDbAdapterError('throttled'))).rejects.toBeInstanceOf(
      DynamoDbAdapterError,
    );
    expect(TRANSIENT_ERRORS).not.toContain(BUSINESS_REJECTION);
  });

  it('name only the business name, the transient list and States.ALL in the ASL', () => {
    const named = new Set(
      tasks.flatMap(([, state]) => [
        ...(state.Retry as Retrier[]).flatMap((r) => r.ErrorEquals),
        ...catchesOf(state).flatMap((c) => c.errors),
      ]),
    );
    expect([...named].sort()).toEqual([BUSINESS_REJECTION, 'States.ALL', ...TRANSIENT_ERRORS].sort());
  });
});

describe('the payment settlement ASL', () => {
  it('has a substitution for every $-placeholder, and a placeholder for every task function', () => {
    const placeholders = new Set([...text.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]));
    const substitutions = new Set(SAGA_TASKS.map((t) => `${t.name}FunctionArn`));
    expect(placeholders).toEqual(substitutions);
  });

  it('gives every Task a timeout, retriers and catchers', () => {
    for (const [name, state] of tasks) {
      expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      expect((state.Retry as Retrier[]).length, name).toBeGreaterThan(0);
      expect(catchesOf(state).length, name).toBeGreaterThan(0);
    }
  });

  it('never retries business rejections and catches them before States.ALL', () => {
    for (const [name, state] of tasks) {
      const [business, transient, ...more] = state.Retry as Retrier[];
      expect(business, name).toEqual({ ErrorEquals: [BUSINESS_REJECTION], MaxAttempts: 0 });
      expect(transient?.ErrorEquals, name).not.toContain(BUSINESS_REJECTION);
      expect(more, name).toEqual([]);
      const catches = catchesOf(state);
      expect(
        catches.map((c) => c.errors),
        name,
      ).toEqual([[BUSINESS_REJECTION], ['States.ALL']]);
    }
  });

  it('retries exactly the transient list the code declares, with backoff, a delay cap and full jitter', () => {
    for (const [name, state] of tasks) {
      const transient = (state.Retry as Retrier[])[1];
      expect(transient?.ErrorEquals, name).toEqual([...TRANSIENT_ERRORS]);
      expect(transient?.BackoffRate, name).toBeGreaterThan(1);
      expect(transient?.MaxDelaySeconds, name).toBeGreaterThan(0);
      expect(transient?.JitterStrategy, name).toBe('FULL');
    }
  });

  it('reaches the compensation of every earlier forward step from every failure of a later one', () => {
    for (const [step, compensation] of Object.entries(COMPENSATION)) {
      for (const later of FORWARD.slice(FORWARD.indexOf(step))) {
        const allCatch = catchesOf(asl.States[later] ?? {}).find((c) => c.errors.includes('States.ALL'));
        const target = allCatch?.next as string;
        const reach = new Set([target, ...reachableFrom(asl, target)]);
        expect(reach.has(compensation), `${later} fails → ${compensation}`).toBe(true);
        expect(reach.has('MarkPaymentFailed'), `${later} fails → MarkPaymentFailed`).toBe(true);
      }
    }
  });

  it('ends a compensation whose retries run out in the distinct CompensationFailed state', () => {
    for (const name of ['RefundAtProcessor', 'VoidReservation', 'MarkPaymentFailed']) {
      const targets = catchesOf(asl.States[name] ?? {}).map((c) => c.next);
      expect(new Set(targets)).toEqual(new Set(['CompensationFailed']));
    }
    expect(asl.States.CompensationFailed).toMatchObject({ Type: 'Fail', Error: 'CompensationFailed' });
  });

  it('settles in at most 12 state transitions', () => {
    const path = happyPath(asl);
    expect(path).toEqual([
      'Route',
      'ReserveFunds',
      'AssessRisk',
      'CaptureAtProcessor',
      'PostTransfer',
      'NotifyMerchant',
      'Complete',
    ]);
    expect(path.length).toBeLessThanOrEqual(12);
  });
});

/** A planned task failure: an error the task code throws, or the name of a Lambda service error. */
type Failure = Error | string;

/** The error as Step Functions sees a failed Lambda task: `Error` is the errorType, `Cause` the error JSON. */
function asLambdaError(failure: Failure): Error {
  const thrown =
    typeof failure === 'string' ? Object.assign(new Error('service'), { name: failure }) : failure;
  const error = forStateMachine(thrown) as Error;
  const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
  return Object.assign(new Error(cause), { name: error.name });
}

/** Runs the ASL with aws-local-stepfunctions; `fail[state]` makes that task fail (once per attempt in a list). */
async function run(fail: Record<string, Failure | Failure[]>, input: object = {}) {
  const visited: string[] = [];
  const attempts: Record<string, number> = {};
  const inputs: Record<string, { error?: CaughtError }> = {};
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name] of tasks) {
    handlers[name] = async (taskInput) => {
      visited.push(name);
      attempts[name] = (attempts[name] ?? 0) + 1;
      inputs[name] = (taskInput as { Payload: { error?: CaughtError } }).Payload;
      const planned = fail[name];
      const failure = Array.isArray(planned) ? planned[attempts[name] - 1] : planned;
      if (failure) throw asLambdaError(failure);
      return { ExecutedVersion: '$LATEST', Payload: {}, StatusCode: 200 };
    };
  }
  // Retry waits are real time: shrink them for the test.
  const fast = JSON.parse(text.replace(/"IntervalSeconds": \d+/g, '"IntervalSeconds": 0'));
  const machine = new StateMachine(fast as StateMachineDefinition);
  const execution = machine.run({ tenantId: 't', paymentId: 'p', ...input } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
  });
  /** The failure reason MarkPaymentFailed would record from the error it was handed. */
  const reason = () => failureReason(inputs.MarkPaymentFailed?.error);
  try {
    await execution.result;
    return { visited, attempts, reason, error: null as string | null };
  } catch (error) {
    return {
      visited,
      attempts,
      reason,
      error: ((error as { cause?: Error }).cause?.name ?? (error as Error).name) as string,
    };
  }
}

describe('executing the ASL (aws-local-stepfunctions, tasks stubbed)', () => {
  it('settles when every step succeeds', async () => {
    const { visited, error } = await run({});
    expect(error).toBeNull();
    expect(visited).toEqual([
      'ReserveFunds',
      'AssessRisk',
      'CaptureAtProcessor',
      'PostTransfer',
      'NotifyMerchant',
      'Complete',
    ]);
  });

  it('on insufficient funds fails at once, with nothing to void, and the reason is the stable code', async () => {
    const rejection = new InsufficientFundsError('acct_1', 0, 500);
    const { visited, attempts, reason, error } = await run({ ReserveFunds: rejection });
    expect(error).toBeNull();
    expect(attempts.ReserveFunds).toBe(1);
    expect(visited).toEqual(['ReserveFunds', 'MarkPaymentFailed']);
    expect(reason()).toBe('insufficient-funds');
  });

  it('after a reservation that kept conflicting, voids it and records the conflict as the reason', async () => {
    const conflict = new ConcurrencyConflictError(['account#t#acct_1']);
    const { visited, attempts, reason } = await run({ ReserveFunds: Array(10).fill(conflict) });
    expect(attempts.ReserveFunds).toBe(5);
    expect(visited.slice(-2)).toEqual(['VoidReservation', 'MarkPaymentFailed']);
    expect(reason()).toBe('concurrent-modification');
  }, 60_000);

  it('on a decline voids the reservation once, with no retry and no refund', async () => {
    const { visited, attempts, reason, error } = await run({
      CaptureAtProcessor: new PaymentDeclinedError('p', 'card_declined'),
    });
    expect(error).toBeNull();
    expect(attempts.CaptureAtProcessor).toBe(1);
    expect(visited.slice(-3)).toEqual(['CaptureAtProcessor', 'VoidReservation', 'MarkPaymentFailed']);
    expect(reason()).toBe('payment-declined:card_declined');
  });

  it('retries a transient capture failure and goes on', async () => {
    const { visited, attempts } = await run({
      CaptureAtProcessor: [new ProcessorUnavailableError('down'), 'Lambda.ServiceException'],
    });
    expect(attempts.CaptureAtProcessor).toBe(3);
    expect(visited.at(-1)).toBe('Complete');
  }, 30_000);

  it('after a post failure refunds at the processor, then voids, then marks failed', async () => {
    const { visited } = await run({ PostTransfer: new AccountFrozenError('acct_2') });
    expect(visited.slice(-4)).toEqual([
      'PostTransfer',
      'RefundAtProcessor',
      'VoidReservation',
      'MarkPaymentFailed',
    ]);
  });

  it('after the pivot, a notification that keeps failing ends in NotificationFailed without undoing the settlement', async () => {
    const { visited, error } = await run({ NotifyMerchant: Array(10).fill(new DynamoDbAdapterError('x')) });
    expect(error).toBe('NotificationFailed');
    expect(visited).not.toContain('RefundAtProcessor');
    expect(visited).not.toContain('VoidReservation');
    const resumed = await run({}, { resume: 'notify' });
    expect(resumed.visited).toEqual(['NotifyMerchant', 'Complete']);
  }, 60_000);

  it('fails in CompensationFailed when a refund keeps failing, and a resume runs the compensations again', async () => {
    const failing = await run({
      PostTransfer: new AccountFrozenError('acct_2'),
      RefundAtProcessor: Array(10).fill(new ProcessorUnavailableError('down')),
    });
    expect(failing.error).toBe('CompensationFailed');
    expect(failing.visited).not.toContain('VoidReservation');
    const resumed = await run({}, { resume: 'compensate' });
    expect(resumed.error).toBeNull();
    expect(resumed.visited).toEqual(['RefundAtProcessor', 'VoidReservation', 'MarkPaymentFailed']);
  }, 60_000);
});

describe('the caught error as a failure reason', () => {
  it('reads a task error as a stable code, without its message', () => {
    const cause = JSON.stringify({ errorType: 'DynamoDbAdapterError', errorMessage: 'throttled', trace: [] });
    expect(failureReason({ Error: 'DynamoDbAdapterError', Cause: cause })).toBe('ledger-unavailable');
    expect(failureReason({ Error: 'ProcessorUnavailableError', Cause: 'down' })).toBe(
      'processor-unavailable',
    );
    expect(failureReason({ Error: 'Lambda.ServiceException', Cause: 'x' })).toBe('ledger-unavailable');
  });

  it("reads a business rejection as its stable code, never the payer's balance or account id", () => {
    const error = asLambdaError(new InsufficientFundsError('acct_payer1', 499900, 900000));
    const reason = failureReason({ Error: error.name, Cause: error.message });
    expect(reason).toBe('insufficient-funds');
    expect(reason).not.toMatch(/499900|acct_payer1/);
  });

  it('keeps the full message of a rejection for the execution history', () => {
    const error = asLambdaError(new InsufficientFundsError('acct_1', 3, 9));
    expect(error.message).toContain('InsufficientFundsError [insufficient-funds]: Account acct_1');
  });

  it('reads a decline as its code and the processor decline code', () => {
    const error = asLambdaError(new PaymentDeclinedError('pay_1', 'card_declined'));
    expect(failureReason({ Error: error.name, Cause: error.message })).toBe('payment-declined:card_declined');
  });

  it('reads a States timeout as timeout and anything unknown as internal-error', () => {
    expect(failureReason({ Error: 'States.Timeout', Cause: 'Task timed out' })).toBe('timeout');
    expect(failureReason({ Error: 'TypeError', Cause: 'x of acct_9 is undefined' })).toBe('internal-error');
  });

  it('says unknown without an error', () => {
    expect(failureReason(undefined)).toBe('unknown');
    expect(failureReason({ Cause: 'x' })).toBe('unknown');
  });
});
