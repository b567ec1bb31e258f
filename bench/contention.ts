/**
 * Eight writers race on one payer account (DynamoDB Local, real adapter, the API's retry policy).
 * Each round opens a payer and eight payees, then the eight transfers start together. Two ways of
 * running the same commands, rounds interleaved in one run: `current` (one-round-trip loads, the
 * per-command load cache, COMMAND_CONFLICT_RETRY) and `legacy` (the load before issue 10: snapshot,
 * then tail; a retry reloads everything; the backoff of before). Prints one JSON line: commits per
 * second of racing, conflicts (wasted appends) per commit, give-ups.
 *
 * A third way, `serial`, runs the same eight transfers one after another with the current code: no race at
 * all, so no conflict. It is the ceiling of any writer that must read a stream before appending to it (a
 * writer in another process cannot know the head without reading it): perfectly coordinated racers would
 * still need, for each commit, a read of the head after the commit before it and an append, so at best
 * about match it (they could skip only the payee's read, which runs beside the payer's).
 */
import { performance } from 'node:perf_hooks';
import { fullJitterDelay } from '../lambdas/adapters/backoff.ts';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../lambdas/adapters/ids.ts';
import { createTransfer, deposit, openAccount } from '../lambdas/application/commands.ts';
import { type ConflictRetryOptions, retryOnConflict } from '../lambdas/application/retry.ts';
import { conflictRetry, MAX_COMMAND_ATTEMPTS } from '../lambdas/composition/ledger.ts';
import type { EventStore, LedgerPorts } from '../lambdas/domain/ports.ts';
import { emfMetrics } from '../lambdas/shared/metrics.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';
import { emitResult } from './support/output.ts';
import { percentile, round } from './support/stats.ts';

const WRITERS = 8;
/** The API's conflict retry; its metric lines are built as in Lambda, then dropped: stdout is the result's. */
const COMMAND_CONFLICT_RETRY = conflictRetry(
  MAX_COMMAND_ATTEMPTS,
  emfMetrics(() => undefined),
);
const ROUNDS = 20;

interface Scenario {
  readonly ports: LedgerPorts;
  readonly retry: ConflictRetryOptions;
  appends: number;
  committed: number;
  wasted: number;
  gaveUp: number;
  racingMs: number;
  readonly roundMs: number[];
}

const ddb = await startDynamoDbLocal();
try {
  await createEventsTable(ddb.client);
  await createSnapshotsTable(ddb.client);
  const store = new DynamoDbEventStore({ client: ddb.client, tableName: 'events' });
  const snapshots = new DynamoDbSnapshotStore({ client: ddb.client, tableName: 'snapshots' });
  const scenario = (events: Omit<EventStore, 'append'>, retry: ConflictRetryOptions): Scenario => {
    const counted: Scenario = {
      ports: {
        events: {
          ...events,
          append: (writes) => {
            counted.appends++;
            return store.append(writes);
          },
        },
        snapshots,
        clock: systemClock,
        ids: new UlidGenerator(),
      },
      retry,
      appends: 0,
      committed: 0,
      wasted: 0,
      gaveUp: 0,
      racingMs: 0,
      roundMs: [],
    };
    return counted;
  };
  const currentReads: Omit<EventStore, 'append'> = {
    readStream: (stream, from, to) => store.readStream(stream, from, to),
    readNewest: (stream, count, after) => store.readNewest(stream, count, after),
  };
  const scenarios = {
    current: scenario(currentReads, COMMAND_CONFLICT_RETRY),
    // No readNewest: the repository falls back to the snapshot, then the tail; no load cache.
    legacy: scenario(
      { readStream: (stream, from, to) => store.readStream(stream, from, to) },
      {
        maxAttempts: COMMAND_CONFLICT_RETRY.maxAttempts,
        wait: (attempt) =>
          new Promise((resolve) => setTimeout(resolve, fullJitterDelay(attempt - 1, { base: 10, cap: 200 }))),
      },
    ),
  };
  const serial = scenario(currentReads, COMMAND_CONFLICT_RETRY);
  const ctx = { tenantId: 'bench', correlationId: 'c', causationId: 'c', actor: 'bench' };
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of [scenarios.current, scenarios.legacy, serial]) {
      const payer = await openAccount(s.ports, ctx, { currency: 'USD' });
      await deposit(s.ports, ctx, { accountId: payer.id, amount: WRITERS * 100, currency: 'USD' });
      const payees = await Promise.all(
        Array.from({ length: WRITERS }, () => openAccount(s.ports, ctx, { currency: 'USD' })),
      );
      const transfer = (payeeId: string) =>
        retryOnConflict(
          (loadCache) =>
            createTransfer({ ...s.ports, loadCache }, ctx, {
              debitAccountId: payer.id,
              creditAccountId: payeeId,
              amount: 100,
              currency: 'USD',
            }),
          s.retry,
        );
      s.appends = 0;
      const started = performance.now();
      const outcomes =
        s === serial
          ? await settleInTurn(payees.map((payee) => () => transfer(payee.id)))
          : await Promise.allSettled(payees.map((payee) => transfer(payee.id)));
      const elapsed = performance.now() - started;
      s.racingMs += elapsed;
      s.roundMs.push(elapsed);
      const committed = outcomes.filter((o) => o.status === 'fulfilled').length;
      s.committed += committed;
      s.gaveUp += outcomes.length - committed;
      s.wasted += s.appends - committed;
    }
  }
  const summary = (s: Scenario) => ({
    committedRatio: s.committed / (WRITERS * ROUNDS),
    gaveUp: s.gaveUp,
    commitsPerSecond: round(s.committed / (s.racingMs / 1000), 1),
    wastedAppendsPerCommit: round(s.wasted / Math.max(1, s.committed), 2),
    roundMs: { p50: round(percentile(s.roundMs, 50), 0), max: round(Math.max(...s.roundMs), 0) },
  });
  const current = summary(scenarios.current);
  const legacy = summary(scenarios.legacy);
  const ceiling = summary(serial);
  emitResult('contention', {
    bench: 'contention',
    writers: WRITERS,
    rounds: ROUNDS,
    maxAttempts: COMMAND_CONFLICT_RETRY.maxAttempts,
    current,
    legacy,
    serial: ceiling,
    // What 2× the legacy racers' commits/s asks of one stream, against what no race at all gives.
    serialVsLegacy: round((ceiling.commitsPerSecond ?? 0) / (legacy.commitsPerSecond ?? 1), 2),
    vsLegacy: {
      commitsPerSecond: round((current.commitsPerSecond ?? 0) / (legacy.commitsPerSecond ?? 1), 2),
      wastedAppendsPerCommit: round(
        (current.wastedAppendsPerCommit ?? 0) / Math.max(0.01, legacy.wastedAppendsPerCommit ?? 0),
        2,
      ),
    },
  });
} finally {
  await ddb.stop();
}

/** Runs each task after the one before has settled. */
async function settleInTurn<T>(tasks: readonly (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const settled: PromiseSettledResult<T>[] = [];
  for (const task of tasks) {
    try {
      settled.push({ status: 'fulfilled', value: await task() });
    } catch (reason) {
      settled.push({ status: 'rejected', reason });
    }
  }
  return settled;
}
