import { ACCOUNT } from '../domain/account.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import { reducerOf } from '../domain/aggregate.ts';
import type { LedgerEvent, StreamRef } from '../domain/events.ts';
import { PAYMENT } from '../domain/payments/payment.ts';
import type { LedgerPorts, NewEvent, Snapshot, StreamWrite } from '../domain/ports.ts';
import { TRANSFER } from '../domain/transfer.ts';

/** Write a snapshot once a stream has grown this many events past its last one. */
export const SNAPSHOT_EVERY = 100;

/** The ports loading and committing need. */
export type StorePorts = Pick<LedgerPorts, 'events' | 'snapshots'>;

/** A stream's state as loaded: what a command decides on, and what it appends after. */
export interface Loaded<S> {
  readonly stream: StreamRef;
  readonly state: S | null;
  /** The stream's current version (0 when it has no events). */
  readonly version: number;
  /** The version of the snapshot it was loaded from (0 for none). */
  readonly snapshotVersion: number;
}

/** Loads a stream: the newest snapshot of the aggregate's reducer version, then only the events after it. */
export async function load<S, E extends LedgerEvent>(
  ports: StorePorts,
  aggregate: Aggregate<S, E>,
  stream: StreamRef,
): Promise<Loaded<S>> {
  const snapshot = await ports.snapshots.get<S>(stream, aggregate.reducerVersion);
  const events = await ports.events.readStream(stream, (snapshot?.version ?? 0) + 1);
  const state = events.reduce<S | null>(reducerOf(aggregate), snapshot?.state ?? aggregate.initialState);
  const version = events.at(-1)?.version ?? snapshot?.version ?? 0;
  return { stream, state, version, snapshotVersion: snapshot?.version ?? 0 };
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
}

/** Builds the change that appending `events` (whose result is `after`) to a loaded stream makes. */
export function change<S>(
  aggregate: { readonly reducerVersion: number },
  loaded: Loaded<S>,
  events: readonly NewEvent[],
  after: S | null,
): Change {
  const version = loaded.version + events.length;
  const due = after !== null && version - loaded.snapshotVersion >= SNAPSHOT_EVERY;
  return {
    write: { stream: loaded.stream, expectedVersion: loaded.version, events },
    snapshot: due
      ? { stream: loaded.stream, version, reducerVersion: aggregate.reducerVersion, state: after }
      : null,
  };
}

/**
 * Appends all changes in one atomic write, then keeps the snapshots that fell due.
 * Nothing after the append may fail the command: the money has moved, and a failed response would
 * invite a retry. A lost snapshot only costs a longer load next time.
 */
export async function commit(ports: StorePorts, changes: readonly Change[]): Promise<void> {
  await ports.events.append(changes.map((c) => c.write));
  await Promise.all(
    changes.map(async ({ snapshot }) => {
      if (!snapshot) return;
      try {
        await ports.snapshots.put(snapshot);
      } catch {
        // Deliberately ignored: see the doc comment.
      }
    }),
  );
}
