/** One seeded chaos run: random operations against the model and the stack, then every invariant. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type ChaosReport, type InjectedFault, parseChaos } from '../../local/chaos.ts';
import { chaosClient } from './client.ts';
import { allEvents, deadLetters, liveReadModels, locksExpiry, workerRecords } from './collect.ts';
import { expectBalances, ModelMismatch, type Real } from './commands.ts';
import { CHAOS_API_KEY, type Stack, startStack, WEBHOOK_SECRET } from './harness.ts';
import {
  conservation,
  INVARIANTS,
  noDoublePosting,
  onceOrDlq,
  paymentsTerminal,
  readModelsMatch,
  replay,
  type Violation,
} from './invariants.ts';
import { emptyModel, type Model } from './model.ts';
import { allCommands } from './operations.ts';

export interface SeedOptions {
  readonly seed: number;
  readonly operations: number;
  /** `LEDGERLINE_CHAOS` rates without the seed (`dynamodb=0.02,sqs.duplicate=0.1`); empty: chaos off. */
  readonly chaosRates: string;
  /**
   * Serial mode, whose fault log replays exactly: the stack settles after every answer (no polling, retries
   * from a quiescent stack), stream and queue pollers deliver one record at a time, and the schedules run
   * every SCHEDULE_EVERY operations instead of on the clock.
   */
  readonly serial?: boolean;
  readonly log?: (line: string) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly chaos: string | null;
  readonly operations: number;
  readonly operationsByName: Record<string, number>;
  readonly msByName: Record<string, number>;
  /** Milliseconds from the last operation to the end of the invariant checks. */
  readonly checkMs: number;
  /** Serial mode: milliseconds spent waiting for the stack to be quiescent. */
  readonly settleMs: number;
  /** Requests sent again with the same Idempotency-Key because an answer was lost. */
  readonly clientRetries: number;
  readonly faults: Record<string, number>;
  readonly faultCount: number;
  /** Serial: of the log in operation order (sorted within an operation); else of the sorted log. */
  readonly faultLogHash: string;
  /** The fault log, `<boundary>.<kind> <identity>#<occurrence>` a line; serial: `<operation> ` first. */
  readonly faultLog: readonly string[];
  readonly invariantsChecked: readonly string[];
  readonly violations: readonly Violation[];
  readonly durationMs: number;
  readonly replay: string;
  /** Where the stack's and the functions' logs of this seed went. */
  readonly logFile: string;
}

/** How long the projections get to settle after the last operation. */
const SETTLE_MS = 90_000;
/**
 * How long the workers get: a worker that crashed lets its message come back only after the queue's
 * visibility timeout (6 × the function's timeout: 180 s for processor events), and then it must finish.
 */
const WORKERS_SETTLE_MS = 420_000;

async function settled<T>(check: () => Promise<T[]>, timeoutMs = SETTLE_MS): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The invariants over the whole stack, once the projections and workers have settled. */
export async function checkInvariants(stack: Stack, model: Model, real: Real): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const account of model.accounts) {
    try {
      await expectBalances(real, account, 'at the end of the run');
    } catch (error) {
      violations.push({ invariant: 'api-matches-model', detail: String(error) });
    }
  }
  const events = await allEvents(stack);
  violations.push(...conservation(events), ...noDoublePosting(events), ...paymentsTerminal(events));
  violations.push(
    ...(await settled(async () =>
      readModelsMatch(await replay(await allEvents(stack)), await liveReadModels(stack)),
    )),
  );
  const notifications = events.flatMap((e) =>
    e.type === 'MerchantNotificationRequested' ? [e.payload.notificationId] : [],
  );
  const sqsCheck = async (dead: { processor: string[]; notifications: string[] }) => {
    const records = await workerRecords(stack);
    return [
      ...onceOrDlq({
        worker: stack.workers.processorEvents,
        tenantId: stack.tenantId,
        expected: real.webhookIds,
        records,
        deadLettered: dead.processor,
      }),
      ...onceOrDlq({
        worker: stack.workers.notifications,
        tenantId: stack.tenantId,
        expected: notifications,
        records,
        deadLettered: dead.notifications,
      }),
    ];
  };
  await settled(() => sqsCheck({ processor: [], notifications: [] }), WORKERS_SETTLE_MS);
  const dlq = async (pattern: RegExp) => {
    const url = Object.entries(stack.dlqs).find(([id]) => pattern.test(id))?.[1];
    return url ? deadLetters(stack, url) : [];
  };
  const processorDead = (await dlq(/^ProcessorWebhooksEventsDeadLettersQueue/)).map((b) => String(b.eventId));
  const notificationDead = (await dlq(/^MerchantNotificationsDeadLettersQueue/)).map((b) => {
    const inner = b.notification;
    return String(
      typeof inner === 'object' && inner !== null && 'notificationId' in inner ? inner.notificationId : '',
    );
  });
  violations.push(...(await sqsCheck({ processor: processorDead, notifications: notificationDead })));
  return violations;
}

/** The command that replays one seed exactly. */
export function replayCommand(seed: number, operations: number, chaosRates: string, serial = false): string {
  return `npm run test:chaos -- --seeds ${seed} --operations ${operations}${chaosRates ? ` --chaos '${chaosRates}'` : ' --chaos off'}${serial ? ' --serial' : ''}`;
}

/**
 * Calls serial mode leaves unfaulted because how many happen depends on the clock: reads of a read model's
 * pointer, which every function caches for a few seconds (`PointerCache`).
 */
export const SERIAL_EXEMPT = ['^\\S+ GetItem \\S*ReadModelsPointers'];

/** Serial mode runs the schedules (the expiry sweep) after every this many operations. */
export const SCHEDULE_EVERY = 10;

const line = (f: InjectedFault) => `${f.boundary}.${f.kind} ${f.identity}`;
const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/**
 * The fault log cut at every operation's end (serial mode). Within an operation the consumers run side by
 * side (projector, relay, saga, workers), so its faults are sorted; across operations the order is kept.
 */
function faultSteps(chaos: ChaosReport) {
  const steps: string[][] = [];
  let cut = 0;
  const take = () => {
    const log = chaos.log();
    steps.push(log.slice(cut).map(line).sort());
    cut = log.length;
  };
  return { steps, take };
}

/** Runs one seed on a fresh stack (chaos seeded with the same number) and checks every invariant. */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const { seed, operations, chaosRates } = options;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const chaos = chaosRates ? `seed=${seed},${chaosRates}` : null;
  // The stack's and the functions' logs, for a failing seed's post-mortem.
  const logFile = join(tmpdir(), `ledgerline-chaos-seed-${seed}.log`);
  const logs = createWriteStream(logFile);
  const serial = options.serial === true;
  const settings = chaos && serial ? { ...parseChaos(chaos), exempt: SERIAL_EXEMPT } : (chaos ?? undefined);
  const stack = await startStack(settings, (text) => logs.write(`${text}\n`), serial);
  const { runtime } = stack;
  const model = emptyModel(operations);
  const steps = faultSteps(runtime.chaos);
  let settleMs = 0;
  const idle = async () => {
    const since = Date.now();
    await runtime.idle();
    settleMs += Date.now() - since;
  };
  const settle = { settle: idle, lockExpiry: () => locksExpiry(stack) };
  const real: Real = {
    client: chaosClient({ apiUrl: stack.apiUrl, apiKey: CHAOS_API_KEY, ...(serial ? settle : {}) }),
    serial,
    ...(serial
      ? {
          afterOperation: async () => {
            if (real.ops % SCHEDULE_EVERY === 0) {
              await runtime.fireSchedules();
              await idle();
            }
            steps.take();
          },
        }
      : {}),
    tenantId: stack.tenantId,
    webhookSecret: WEBHOOK_SECRET,
    runId: `s${seed}`,
    chaos: chaos !== null,
    ops: 0,
    webhookIds: [],
    byName: {},
    msByName: {},
    ...(process.env.CHAOS_VERBOSE ? { trace: log } : {}),
  };
  const violations: Violation[] = [];
  let checkStarted = 0;
  let checkMs = 0;
  try {
    const property = fc.asyncProperty(
      fc
        .commands(allCommands(), { maxCommands: operations * 4, size: 'max' })
        // Enough commands that the budget, not the draw, ends the run (fast-check may draw short lists).
        .filter((cmds) => [...cmds].length >= operations * 2),
      (cmds) => fc.asyncModelRun(() => ({ model, real }), cmds),
    );
    const outcome = await fc.check(property, { seed, numRuns: 1, endOnFailure: true });
    if (outcome.failed) {
      const error = outcome.errorInstance;
      const invariant = error instanceof ModelMismatch ? 'api-matches-model' : 'api-matches-model';
      violations.push({ invariant, detail: `after ${real.ops} operations: ${String(error)}` });
      log(`seed ${seed}: ${String(error)}`);
    }
    if (real.ops < operations) {
      violations.push({
        invariant: 'api-matches-model',
        detail: `ran ${real.ops} of ${operations} operations`,
      });
    }
    checkStarted = Date.now();
    violations.push(...(await checkInvariants(stack, model, real)));
    checkMs = Date.now() - checkStarted;
  } finally {
    await stack.stop();
    logs.end();
  }
  const faultLog = runtime.chaos.log();
  steps.take();
  return {
    seed,
    chaos,
    operations: real.ops,
    operationsByName: real.byName,
    msByName: real.msByName,
    checkMs,
    settleMs,
    clientRetries: real.client.retries(),
    faults: runtime.chaos.counts(),
    faultCount: faultLog.length,
    // Not serial, a multiset: concurrent work (pollers, workers, retries) may inject faults in another order.
    faultLogHash: serial ? hash(steps.steps) : hash(faultLog.map(line).sort()),
    faultLog: serial
      ? steps.steps.flatMap((step, i) => step.map((f) => `${i + 1} ${f}`))
      : faultLog.map(line).sort(),
    invariantsChecked: INVARIANTS,
    violations,
    durationMs: Date.now() - started,
    replay: replayCommand(seed, operations, chaosRates, serial),
    logFile,
  };
}
