import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { PAYMENT_SAGA_DEFINITION, SAGA_TASKS } from '../../../lib/payment-saga.ts';
import { catchesOf, happyPath, reachableFrom, type StateMachineJson } from '../../../scripts/asl-paths.ts';

const text = readFileSync(join(import.meta.dirname, '..', '..', '..', PAYMENT_SAGA_DEFINITION), 'utf8');
const asl = JSON.parse(text) as StateMachineJson;
const states = Object.entries(asl.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');

const BUSINESS = [
  'PaymentDeclinedError',
  'InsufficientFundsError',
  'RiskRejectedError',
  'AccountFrozenError',
];
const TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'ProcessorUnavailableError',
];
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
      const retriers = state.Retry as Retrier[];
      const first = retriers.findIndex((r) => BUSINESS.some((e) => r.ErrorEquals.includes(e)));
      expect(first, name).toBe(0);
      expect(retriers[0]?.MaxAttempts, name).toBe(0);
      for (const error of BUSINESS) expect(retriers[0]?.ErrorEquals, name).toContain(error);
      const catches = catchesOf(state);
      const business = catches.findIndex((c) => BUSINESS.every((e) => c.errors.includes(e)));
      const all = catches.findIndex((c) => c.errors.includes('States.ALL'));
      expect(business, name).toBeGreaterThanOrEqual(0);
      expect(all, name).toBe(catches.length - 1);
      expect(business, name).toBeLessThan(all);
    }
  });

  it('retries transient failures with backoff, a delay cap and full jitter', () => {
    for (const [name, state] of tasks) {
      const transient = (state.Retry as Retrier[]).find((r) =>
        r.ErrorEquals.includes('Lambda.ServiceException'),
      );
      expect(transient, name).toBeDefined();
      for (const error of TRANSIENT) expect(transient?.ErrorEquals, name).toContain(error);
      expect(transient?.BackoffRate, name).toBeGreaterThan(1);
      expect(transient?.MaxDelaySeconds, name).toBeGreaterThan(0);
      expect(transient?.JitterStrategy, name).toBe('FULL');
      for (const error of BUSINESS) expect(transient?.ErrorEquals, name).not.toContain(error);
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

/** Runs the ASL with aws-local-stepfunctions; `fail[state]` makes that task throw an error of that name. */
async function run(fail: Record<string, string | string[]>, input: object = {}) {
  const visited: string[] = [];
  const attempts: Record<string, number> = {};
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name] of tasks) {
    handlers[name] = async () => {
      visited.push(name);
      attempts[name] = (attempts[name] ?? 0) + 1;
      const planned = fail[name];
      const error = Array.isArray(planned) ? planned[attempts[name] - 1] : planned;
      if (error) throw Object.assign(new Error(JSON.stringify({ errorMessage: error })), { name: error });
      return { ExecutedVersion: '$LATEST', Payload: {}, StatusCode: 200 };
    };
  }
  // Retry waits are real time: shrink them for the test.
  const fast = JSON.parse(text.replace(/"IntervalSeconds": \d+/g, '"IntervalSeconds": 0'));
  const machine = new StateMachine(fast as StateMachineDefinition);
  const execution = machine.run({ tenantId: 't', paymentId: 'p', ...input } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
  });
  try {
    await execution.result;
    return { visited, attempts, error: null as string | null };
  } catch (error) {
    return {
      visited,
      attempts,
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

  it('on a decline voids the reservation once, with no retry and no refund', async () => {
    const { visited, attempts, error } = await run({ CaptureAtProcessor: 'PaymentDeclinedError' });
    expect(error).toBeNull();
    expect(attempts.CaptureAtProcessor).toBe(1);
    expect(visited.slice(-3)).toEqual(['CaptureAtProcessor', 'VoidReservation', 'MarkPaymentFailed']);
  });

  it('retries a transient capture failure and goes on', async () => {
    const { visited, attempts } = await run({
      CaptureAtProcessor: ['ProcessorUnavailableError', 'Lambda.ServiceException'],
    });
    expect(attempts.CaptureAtProcessor).toBe(3);
    expect(visited.at(-1)).toBe('Complete');
  }, 30_000);

  it('after a post failure refunds at the processor, then voids, then marks failed', async () => {
    const { visited } = await run({ PostTransfer: 'AccountFrozenError' });
    expect(visited.slice(-4)).toEqual([
      'PostTransfer',
      'RefundAtProcessor',
      'VoidReservation',
      'MarkPaymentFailed',
    ]);
  });

  it('after the pivot, a notification that keeps failing ends in NotificationFailed without undoing the settlement', async () => {
    const { visited, error } = await run({ NotifyMerchant: Array(10).fill('DynamoDbAdapterError') });
    expect(error).toBe('NotificationFailed');
    expect(visited).not.toContain('RefundAtProcessor');
    expect(visited).not.toContain('VoidReservation');
    const resumed = await run({}, { resume: 'notify' });
    expect(resumed.visited).toEqual(['NotifyMerchant', 'Complete']);
  }, 60_000);

  it('fails in CompensationFailed when a refund keeps failing, and a resume runs the compensations again', async () => {
    const failing = await run({
      PostTransfer: 'AccountFrozenError',
      RefundAtProcessor: Array(10).fill('ProcessorUnavailableError'),
    });
    expect(failing.error).toBe('CompensationFailed');
    expect(failing.visited).not.toContain('VoidReservation');
    const resumed = await run({}, { resume: 'compensate' });
    expect(resumed.error).toBeNull();
    expect(resumed.visited).toEqual(['RefundAtProcessor', 'VoidReservation', 'MarkPaymentFailed']);
  }, 60_000);
});
