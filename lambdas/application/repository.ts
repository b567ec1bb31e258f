import { ACCOUNT } from '../domain/account.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import { reducerOf } from '../domain/aggregate.ts';
import type { LedgerEvent, StoredEvent, StreamRef } from '../domain/events.ts';
import { PAYMENT } from '../domain/payments/payment.ts';
import type {
  EventStore,
  LedgerPorts,
  LoadCache,
  Loaded,
  NewEvent,
  Snapshot,
  StreamWrite,
} from '../domain/ports.ts';
import { TRANSFER } from '../domain/transfer.ts';

/** Write a snapshot once a stream has grown this many events past its last one. */
export const SNAPSHOT_EVERY = 100;

/** The ports loading and committing need. */
export type StorePorts = Pick<LedgerPorts, 'events' | 'snapshots' | 'loadCache'>;

export type { Loaded };

/**
 * Events a load reads backwards from the head in its first round trip. A stream shorter than this (most),
 * or one whose page reaches version 1, needs no snapshot: it loads in one request. A longer one then looks
 * its snapshot up (0–99 events behind its head), and when the page misses it reads the events between.
 * A page of SNAPSHOT_EVERY would always reach it, but on DynamoDB Local reading 50–100 items when the tail
 * is short was slower than two round trips (bench/aggregate-load.ts, `vsLegacy.events10000`).
 */
export const LOAD_PAGE = 20;

/**
 * Loads a stream. From a state loaded before (the command's load cache, then the container's recent
 * states), it reads only the events after that version: one request; none when the load cache vouches
 * that version is the head (`LoadCache.current`). Otherwise the newest page first,
 * then, only when the page is full and does not reach version 1, the newest snapshot of the aggregate's
 * reducer version and any events between the two.
 */
export async function load<S, E extends LedgerEvent>(
  ports: StorePorts,
  aggregate: Aggregate<S, E>,
  stream: StreamRef,
  cache: LoadCache | undefined = ports.loadCache,
): Promise<Loaded<S>> {
  const { reducerVersion } = aggregate;
  const recent = ports.snapshots.recent;
  const own = cache?.get<S>(stream, reducerVersion);
  const known = own ?? recent?.get<S>(stream, reducerVersion);
  // A state the cache's holder vouches is still the head is not read again (see LoadCache.current).
  const vouched = own !== undefined && cache?.current?.(stream, own.version) === true;
  const [start, events]: [Start<S>, StoredEvent[]] = known
    ? [known, vouched ? [] : await eventsAfter(ports.events, stream, known.version)]
    : await fromSnapshot<S>(ports, stream, reducerVersion);
  const state = events.reduce<S | null>(reducerOf(aggregate), start.state ?? aggregate.initialState);
  const version = events.at(-1)?.version ?? start.version;
  const loaded: Loaded<S> = { stream, state, version, snapshotVersion: start.snapshotVersion };
  cache?.put(reducerVersion, loaded);
  recent?.put(reducerVersion, loaded);
  return loaded;
}

interface Start<S> {
  readonly version: number;
  readonly state: S | null;
  readonly snapshotVersion: number;
}

async function fromSnapshot<S>(
  ports: StorePorts,
  stream: StreamRef,
  reducerVersion: number,
): Promise<[Start<S>, StoredEvent[]]> {
  const { events } = ports;
  if (!events.readNewest) {
    const snapshot = await ports.snapshots.get<S>(stream, reducerVersion);
    return [startOf(snapshot), await events.readStream(stream, (snapshot?.version ?? 0) + 1)];
  }
  const newest = await events.readNewest(stream, LOAD_PAGE);
  // The whole stream is in the page: no snapshot can save a read.
  if (newest.length < LOAD_PAGE || newest[0]?.version === 1) return [startOf(null), newest];
  const start = startOf(await ports.snapshots.get<S>(stream, reducerVersion));
  return [start, await fillGap(events, stream, start.version, newest)];
}

function startOf<S>(snapshot: Snapshot<S> | null): Start<S> {
  return snapshot
    ? { version: snapshot.version, state: snapshot.state, snapshotVersion: snapshot.version }
    : { version: 0, state: null, snapshotVersion: 0 };
}

/** The events after `version`, read backwards from the head: one round trip unless more than a page. */
async function eventsAfter(events: EventStore, stream: StreamRef, version: number): Promise<StoredEvent[]> {
  if (!events.readNewest) return events.readStream(stream, version + 1);
  return fillGap(events, stream, version, await events.readNewest(stream, LOAD_PAGE, version));
}

/**
 * The events after `version`, given the newest page (ascending, `LOAD_PAGE` at most): a full page
 * that does not reach back to `version + 1` is completed by reading the versions in between.
 */
async function fillGap(
  events: EventStore,
  stream: StreamRef,
  version: number,
  newest: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  const after = newest.filter((event) => event.version > version);
  const oldest = after[0]?.version;
  if (oldest === undefined || newest.length < LOAD_PAGE || oldest <= version + 1) return after;
  return [...(await events.readStream(stream, version + 1, oldest - 1)), ...after];
}

/** A loader of one aggregate's streams by id within a tenant. */
function loaderOf<S, E extends LedgerEvent>(aggregate: Aggregate<S, E>) {
  return (ports: StorePorts, tenantId: string, id: string): Promise<Loaded<S>> =>
    load(ports, aggregate, { type: aggregate.streamType, tenantId, id });
}

/** Loads an account by id within a tenant. */
export const loadAccount = loaderOf(ACCOUNT);
/** Loads a transfer by id within a tenant. */
export const loadTransfer = loaderOf(TRANSFER);
/** Loads a payment by id within a tenant. */
export const loadPayment = loaderOf(PAYMENT);

/** New events for one loaded stream, and the snapshot to keep once they land. */
export interface Change {
  readonly write: StreamWrite;
  /** The snapshot to keep once the write lands, when the stream grew SNAPSHOT_EVERY events past the last one. */
  readonly snapshot: Snapshot<unknown> | null;
  /** The stream as it stands once the write lands (its snapshot version the one it was loaded with). */
  readonly after: Loaded<unknown>;
  readonly reducerVersion: number;
}

/** Builds the change that appending `events` (whose result is `after`) to a loaded stream makes. */
export function change<S>(
  aggregate: { readonly reducerVersion: number },
  loaded: Loaded<S>,
  events: readonly NewEvent[],
  after: S | null,
): Change {
  const { reducerVersion } = aggregate;
  const { stream, snapshotVersion } = loaded;
  const version = loaded.version + events.length;
  const due = after !== null && version - snapshotVersion >= SNAPSHOT_EVERY;
  return {
    write: { stream, expectedVersion: loaded.version, events },
    snapshot: due ? { stream, version, reducerVersion, state: after } : null,
    after: { stream, state: after, version, snapshotVersion },
    reducerVersion,
  };
}

/**
 * Appends all changes in one atomic write, then keeps the snapshots that fell due, and the streams as
 * they now stand in the container's recent states (with the snapshot version that was kept: a container
 * that forgot its snapshot would write one per command).
 * Nothing after the append may fail the command: the money has moved, and a failed response would
 * invite a retry. A lost snapshot only costs a longer load next time.
 */
export async function commit(ports: StorePorts, changes: readonly Change[]): Promise<void> {
  await ports.events.append(changes.map((c) => c.write));
  const recent = ports.snapshots.recent;
  await Promise.all(
    changes.map(async ({ snapshot, after, reducerVersion }) => {
      let kept = after;
      try {
        if (snapshot) {
          await ports.snapshots.put(snapshot);
          kept = { ...after, snapshotVersion: snapshot.version };
        }
      } catch {
        // Deliberately ignored: see the doc comment.
      }
      recent?.put(reducerVersion, kept);
    }),
  );
}
