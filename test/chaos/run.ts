/** One seeded chaos run: random operations against the model and the stack, then every invariant. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { chaosClient } from './client.ts';
import { allEvents, deadLetters, liveReadModels, workerRecords } from './collect.ts';
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
  /** Requests sent again with the same Idempotency-Key because an answer was lost. */
  readonly clientRetries: number;
  readonly faults: Record<string, number>;
  readonly faultCount: number;
  readonly faultLogHash: string;
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
export function replayCommand(seed: number, operations: number, chaosRates: string): string {
  return `npm run test:chaos -- --seeds ${seed} --operations ${operations}${chaosRates ? ` --chaos '${chaosRates}'` : ' --chaos off'}`;
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
  const stack = await startStack(chaos ?? undefined, (line) => logs.write(`${line}\n`));
  const model = emptyModel(operations);
  const real: Real = {
    client: chaosClient({ apiUrl: stack.apiUrl, apiKey: CHAOS_API_KEY }),
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
  const faultLog = stack.runtime.chaos.log();
  return {
    seed,
    chaos,
    operations: real.ops,
    operationsByName: real.byName,
    msByName: real.msByName,
    checkMs,
    clientRetries: real.client.retries(),
    faults: stack.runtime.chaos.counts(),
    faultCount: faultLog.length,
    // A multiset: concurrent work (pollers, workers) may inject the same faults in another order.
    faultLogHash: createHash('sha256')
      .update(JSON.stringify(faultLog.map((f) => JSON.stringify(f)).sort()))
      .digest('hex')
      .slice(0, 16),
    invariantsChecked: INVARIANTS,
    violations,
    durationMs: Date.now() - started,
    replay: replayCommand(seed, operations, chaosRates),
    logFile,
  };
}
