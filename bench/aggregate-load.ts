/**
 * Loading an account must cost about the same at 10 and at 10,000 events (DESIGN.md, "Event store").
 * Against DynamoDB Local: builds the streams as the domain would (snapshot every SNAPSHOT_EVERY events),
 * then times interleaved loads: 10 events, 10,000 (its snapshot is at the head), 10,099 (the worst
 * tail: 99 events after the snapshot), and 10,000 without a usable snapshot for contrast.
 * Prints one JSON line. Run: `npx node bench/aggregate-load.ts`.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../lambdas/adapters/dynamodb-snapshot-store.ts';
import { load, loadAccount, SNAPSHOT_EVERY } from '../lambdas/application/repository.ts';
import {
  ACCOUNT,
  ACCOUNT_REDUCER_VERSION,
  type AccountState,
  evolveAccount,
} from '../lambdas/domain/account.ts';
import type { StreamRef } from '../lambdas/domain/events.ts';
import type { EventStore, NewEvent, SnapshotStore } from '../lambdas/domain/ports.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';

const LOADS = 50;
const WARM_UP = 5;
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

/** Opens the account (one command), then deposits in full transactions, snapshotting as the domain does. */
async function buildAccount(ports: Ports, accountId: string, eventCount: number): Promise<StreamRef> {
  const stream: StreamRef = { type: 'account', tenantId: TENANT, id: accountId };
  let state: AccountState | null = null;
  let version = 0;
  let snapshotVersion = 0;
  const commit = async (events: readonly NewEvent[]): Promise<void> => {
    await ports.events.append([{ stream, expectedVersion: version, events }]);
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

const ddb = await startDynamoDbLocal();
try {
  const ports: Ports = {
    events: new DynamoDbEventStore({ client: ddb.client, tableName: await createEventsTable(ddb.client) }),
    snapshots: new DynamoDbSnapshotStore({
      client: ddb.client,
      tableName: await createSnapshotsTable(ddb.client),
    }),
  };
  const small = await buildAccount(ports, 'acct_small', 10);
  const large = await buildAccount(ports, 'acct_large', 10_000);
  const tailed = await buildAccount(ports, 'acct_tailed', 10_099);
  // A reducer version with no snapshots yet: what every load costs right after a reducer change.
  const unsnapshotted = { ...ACCOUNT, reducerVersion: ACCOUNT_REDUCER_VERSION + 1 };

  const times = {
    small: [] as number[],
    large: [] as number[],
    tailed: [] as number[],
    noSnapshot: [] as number[],
  };
  const tails = { events10000: -1, events10099: -1 };
  // Interleaved, so the machine's noise spreads over all three alike.
  for (let i = 0; i < WARM_UP + LOADS; i++) {
    const keep = i >= WARM_UP;
    const smallLoad = await timed(keep ? times.small : [], () => loadAccount(ports, TENANT, small.id));
    const largeLoad = await timed(keep ? times.large : [], () => loadAccount(ports, TENANT, large.id));
    const tailedLoad = await timed(keep ? times.tailed : [], () => loadAccount(ports, TENANT, tailed.id));
    const fullLoad = await timed(keep ? times.noSnapshot : [], () => load(ports, unsnapshotted, large));
    if (
      smallLoad.state?.creditsPosted !== 9 * AMOUNT ||
      largeLoad.state?.creditsPosted !== 9_999 * AMOUNT ||
      tailedLoad.state?.creditsPosted !== 10_098 * AMOUNT ||
      !isDeepStrictEqual(largeLoad.state, fullLoad.state)
    ) {
      throw new Error('A load returned the wrong account state: the timings would mean nothing');
    }
    tails.events10000 = largeLoad.version - largeLoad.snapshotVersion;
    tails.events10099 = tailedLoad.version - tailedLoad.snapshotVersion;
  }

  const events10 = summary(times.small);
  const events10000 = summary(times.large);
  const events10099 = summary(times.tailed);
  const events10000NoSnapshot = summary(times.noSnapshot);
  const ratio = (other: { p50Ms: number }) => Math.round((other.p50Ms / events10.p50Ms) * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'aggregate-load',
      events10,
      events10000,
      ratio: ratio(events10000),
      events10099,
      ratio10099: ratio(events10099),
      events10000NoSnapshot,
      ratioNoSnapshot: ratio(events10000NoSnapshot),
      tailEvents: tails,
      loads: LOADS,
      target: 'dynamodb-local',
    }),
  );
} finally {
  await ddb.stop();
}
