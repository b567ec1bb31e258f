/**
 * Loading an account must cost about the same at 10 and at 10,000 events (DESIGN.md, "Event store").
 * Against DynamoDB Local: builds the streams as the domain would (snapshot every SNAPSHOT_EVERY events),
 * then times interleaved loads: 10 events, 10,000 (its snapshot is at the head), 10,099 (the worst
 * tail: 99 events after the snapshot), and 10,000 without a usable snapshot for contrast.
 * Cold loads (a container that has not loaded the stream) beside the same loads asking for the snapshot
 * and the newest page at once (`parallel*`, the load before the page-first one), and warm loads (the
 * container's recent state). In the same run, the same loads the way they were before issue 10 (bench/support/legacy-store.ts:
 * first item layout, snapshot then ascending tail), so `vsLegacy` compares them on the same machine.
 * Prints one JSON line. Run: `npm exec -- node bench/aggregate-load.ts`.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../lambdas/adapters/dynamodb-snapshot-store.ts';
import { LOAD_PAGE, load, loadAccount, SNAPSHOT_EVERY } from '../lambdas/application/repository.ts';
import {
  ACCOUNT,
  ACCOUNT_REDUCER_VERSION,
  type AccountState,
  evolveAccount,
} from '../lambdas/domain/account.ts';
import { reducerOf } from '../lambdas/domain/aggregate.ts';
import type { StreamRef } from '../lambdas/domain/events.ts';
import type { EventStore, Loaded, NewEvent, SnapshotStore } from '../lambdas/domain/ports.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';
import { legacyLoad, putLegacyEvents } from './support/legacy-store.ts';

const LOADS = 50;
const WARM_UP = 5;
const NO_SNAPSHOT_EVERY = 5;
/** One version check plus 99 puts fill a TransactWriteItems. */
const BATCH = 99;
const TENANT = 'tenant_bench';
const AMOUNT = 100;

interface Ports {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
}

function envelope(version: number) {
  return {
    eventId: `evt_${version}`,
    occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, version)).toISOString(),
    tenantId: TENANT,
    correlationId: `req_${version}`,
    causationId: `req_${version}`,
    actor: 'bench',
  };
}

function opened(accountId: string): NewEvent {
  return {
    ...envelope(1),
    schemaVersion: 2,
    type: 'AccountOpened',
    payload: {
      accountId,
      currency: 'USD',
      kind: 'customer',
      flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
    },
  };
}

function deposit(accountId: string, version: number): NewEvent {
  return {
    ...envelope(version),
    schemaVersion: 1,
    type: 'TransferPosted',
    payload: {
      transferId: `xfer_${version}`,
      debitAccountId: 'acct_settlement',
      creditAccountId: accountId,
      currency: 'USD',
      amount: AMOUNT,
      purpose: 'deposit',
      reference: null,
    },
  };
}

type Append = (stream: StreamRef, expectedVersion: number, events: readonly NewEvent[]) => Promise<void>;

/** Opens the account (one command), then deposits in full transactions, snapshotting as the domain does. */
async function buildAccount(
  ports: Ports,
  accountId: string,
  eventCount: number,
  append: Append = (stream, expectedVersion, events) =>
    ports.events.append([{ stream, expectedVersion, events }]),
): Promise<StreamRef> {
  const stream: StreamRef = { type: 'account', tenantId: TENANT, id: accountId };
  let state: AccountState | null = null;
  let version = 0;
  let snapshotVersion = 0;
  const commit = async (events: readonly NewEvent[]): Promise<void> => {
    await append(stream, version, events);
    for (const event of events) {
      version += 1;
      state = evolveAccount(state, { ...event, stream, version });
    }
    if (state !== null && version - snapshotVersion >= SNAPSHOT_EVERY) {
      await ports.snapshots.put({ stream, version, reducerVersion: ACCOUNT_REDUCER_VERSION, state });
      snapshotVersion = version;
    }
  };
  await commit([opened(accountId)]);
  while (version < eventCount) {
    const size = Math.min(BATCH, eventCount - version);
    await commit(Array.from({ length: size }, (_, i) => deposit(accountId, version + i + 1)));
  }
  return stream;
}

function percentile(sorted: readonly number[], p: number): number {
  const value = sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  if (value === undefined) throw new Error('No samples');
  return Math.round(value * 100) / 100;
}

function summary(samples: readonly number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

async function timed<T>(samples: number[], run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  samples.push(performance.now() - start);
  return result;
}

/**
 * The load before the lean write path (same item layout and page): the snapshot lookup and the newest
 * page together, then the events between the two when the page misses the snapshot.
 */
async function parallelLoad(ports: Ports, aggregate: typeof ACCOUNT, stream: StreamRef) {
  const { events } = ports;
  const [snapshot, newest = []] = await Promise.all([
    ports.snapshots.get<AccountState>(stream, aggregate.reducerVersion),
    events.readNewest?.(stream, LOAD_PAGE),
  ]);
  const from = snapshot?.version ?? 0;
  const after = newest.filter((event) => event.version > from);
  const oldest = after[0]?.version;
  const gap =
    oldest !== undefined && newest.length === LOAD_PAGE && oldest > from + 1
      ? await events.readStream(stream, from + 1, oldest - 1)
      : [];
  const state = [...gap, ...after].reduce(reducerOf(aggregate), snapshot?.state ?? null);
  const version = after.at(-1)?.version ?? from;
  return { stream, state, version, snapshotVersion: from };
}

const ddb = await startDynamoDbLocal();
try {
  const eventsTable = await createEventsTable(ddb.client);
  const snapshotsTable = await createSnapshotsTable(ddb.client);
  const events = new DynamoDbEventStore({ client: ddb.client, tableName: eventsTable });
  // Cold: a container that has loaded none of these streams (no recent states), as every load was
  // before the container remembered them. Warm: one that loaded the stream before (nothing new since).
  const ports: Ports = {
    events,
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: snapshotsTable, recentStreams: 0 }),
  };
  const warm: Ports = {
    events,
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: snapshotsTable }),
  };
  const legacyAppend: Append = (stream, expectedVersion, events) =>
    putLegacyEvents(ddb.client, eventsTable, stream, expectedVersion + 1, events);
  const small = await buildAccount(ports, 'acct_small', 10);
  const large = await buildAccount(ports, 'acct_large', 10_000);
  const tailed = await buildAccount(ports, 'acct_tailed', 10_099);
  const legacySmall = await buildAccount(ports, 'acct_legacy_small', 10, legacyAppend);
  const legacyLarge = await buildAccount(ports, 'acct_legacy_large', 10_000, legacyAppend);
  // A reducer version with no snapshots yet: what every load costs right after a reducer change.
  const unsnapshotted = { ...ACCOUNT, reducerVersion: ACCOUNT_REDUCER_VERSION + 1 };

  const runs: Record<string, { samples: number[]; run: () => Promise<Loaded<AccountState>> }> = {
    events10: { samples: [], run: () => loadAccount(ports, TENANT, small.id) },
    events10000: { samples: [], run: () => loadAccount(ports, TENANT, large.id) },
    events10099: { samples: [], run: () => loadAccount(ports, TENANT, tailed.id) },
    events10000NoSnapshot: { samples: [], run: () => load(ports, unsnapshotted, large) },
    parallel10: { samples: [], run: () => parallelLoad(ports, ACCOUNT, small) },
    parallel10000: { samples: [], run: () => parallelLoad(ports, ACCOUNT, large) },
    parallel10099: { samples: [], run: () => parallelLoad(ports, ACCOUNT, tailed) },
    parallel10000NoSnapshot: { samples: [], run: () => parallelLoad(ports, unsnapshotted, large) },
    warm10000: { samples: [], run: () => loadAccount(warm, TENANT, large.id) },
    warm10000NoSnapshot: { samples: [], run: () => load(warm, unsnapshotted, large) },
    legacy10: { samples: [], run: () => legacyLoad(ports, ACCOUNT, legacySmall) },
    legacy10000: { samples: [], run: () => legacyLoad(ports, ACCOUNT, legacyLarge) },
    legacy10000NoSnapshot: { samples: [], run: () => legacyLoad(ports, unsnapshotted, legacyLarge) },
  };
  const expected: Record<string, number> = {
    events10: 9,
    events10000: 9_999,
    events10099: 10_098,
    events10000NoSnapshot: 9_999,
    parallel10: 9,
    parallel10000: 9_999,
    parallel10099: 10_098,
    parallel10000NoSnapshot: 9_999,
    warm10000: 9_999,
    warm10000NoSnapshot: 9_999,
    legacy10: 9,
    legacy10000: 9_999,
    legacy10000NoSnapshot: 9_999,
  };
  const tails = { events10000: -1, events10099: -1 };
  const states: Record<string, AccountState | null> = {};
  // Interleaved, so the machine's noise spreads over all of them alike.
  for (let i = 0; i < WARM_UP + LOADS; i++) {
    for (const [name, { samples, run }] of Object.entries(runs)) {
      // A load without a snapshot takes seconds: sampled every NO_SNAPSHOT_EVERY rounds.
      if (name.endsWith('NoSnapshot') && i % NO_SNAPSHOT_EVERY !== 0) continue;
      const loaded = await timed(i >= WARM_UP ? samples : [], run);
      if (loaded.state?.creditsPosted !== (expected[name] ?? -1) * AMOUNT) {
        throw new Error(`${name} returned the wrong account state: the timings would mean nothing`);
      }
      states[name] = loaded.state;
      if (name === 'events10000') tails.events10000 = loaded.version - loaded.snapshotVersion;
      if (name === 'events10099') tails.events10099 = loaded.version - loaded.snapshotVersion;
    }
  }

  if (
    !isDeepStrictEqual(states.events10000NoSnapshot, states.events10000) ||
    !isDeepStrictEqual(states.legacy10000NoSnapshot, states.legacy10000)
  ) {
    throw new Error('Loads of the same 10,000 events disagree: the timings would mean nothing');
  }
  const p50 = Object.fromEntries(Object.entries(runs).map(([name, { samples }]) => [name, summary(samples)]));
  const p50Of = (name: string) => p50[name]?.p50Ms ?? Number.NaN;
  const ratio = (a: string, b: string) => Math.round((p50Of(a) / p50Of(b)) * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'aggregate-load',
      ...p50,
      ratio: ratio('events10000', 'events10'),
      ratio10099: ratio('events10099', 'events10'),
      ratioNoSnapshot: ratio('events10000NoSnapshot', 'events10'),
      // Same run: a cold load (page first, snapshot only when the page misses version 1) against the
      // load that asked for both at once, and a warm one (the container's recent state) against it.
      vsParallel: {
        events10: ratio('events10', 'parallel10'),
        events10000: ratio('events10000', 'parallel10000'),
        events10099: ratio('events10099', 'parallel10099'),
        events10000NoSnapshot: ratio('events10000NoSnapshot', 'parallel10000NoSnapshot'),
        warm10000: ratio('warm10000', 'parallel10000'),
        warm10000NoSnapshot: ratio('warm10000NoSnapshot', 'parallel10000NoSnapshot'),
      },
      // Same run: the new load against the load of before issue 10 on its own item layout.
      vsLegacy: {
        events10: ratio('events10', 'legacy10'),
        events10000: ratio('events10000', 'legacy10000'),
        events10000NoSnapshot: ratio('events10000NoSnapshot', 'legacy10000NoSnapshot'),
      },
      tailEvents: tails,
      loads: LOADS,
      target: 'dynamodb-local',
    }),
  );
} finally {
  await ddb.stop();
}
