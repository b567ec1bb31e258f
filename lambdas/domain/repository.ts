import { ACCOUNT_REDUCER_VERSION, type AccountState, evolveAccount } from './account.ts';
import type { StoredEvent, StreamRef } from './events.ts';
import { evolvePayment, PAYMENT_REDUCER_VERSION, type PaymentState } from './payments/payment.ts';
import type { LedgerPorts, NewEvent, Snapshot, StreamWrite } from './ports.ts';
import { evolveTransfer, TRANSFER_REDUCER_VERSION, type TransferState } from './transfer.ts';

/** Write a snapshot once a stream has grown this many events past its last one. */
export const SNAPSHOT_EVERY = 100;

type Reducer<S> = (state: S | null, event: StoredEvent) => S | null;

/** A stream's state as loaded: what a command decides on, and what it appends after. */
export interface Loaded<S> {
  readonly stream: StreamRef;
  readonly state: S | null;
  /** The stream's current version (0 when it has no events). */
  readonly version: number;
  /** The version of the snapshot it was loaded from (0 for none). */
  readonly snapshotVersion: number;
}

interface AggregateKind<S> {
  readonly reduce: Reducer<S>;
  readonly reducerVersion: number;
}

export const ACCOUNT: AggregateKind<AccountState> = {
  reduce: evolveAccount,
  reducerVersion: ACCOUNT_REDUCER_VERSION,
};
export const TRANSFER: AggregateKind<TransferState> = {
  reduce: evolveTransfer,
  reducerVersion: TRANSFER_REDUCER_VERSION,
};

export const PAYMENT: AggregateKind<PaymentState> = {
  reduce: evolvePayment,
  reducerVersion: PAYMENT_REDUCER_VERSION,
};

/** Loads a stream: the newest snapshot of this reducer version, then only the events after it. */
export async function load<S>(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  kind: AggregateKind<S>,
  stream: StreamRef,
): Promise<Loaded<S>> {
  const snapshot = await ports.snapshots.get<S>(stream, kind.reducerVersion);
  const events = await ports.events.readStream(stream, (snapshot?.version ?? 0) + 1);
  const state = events.reduce(kind.reduce, snapshot?.state ?? null);
  const version = events.at(-1)?.version ?? snapshot?.version ?? 0;
  return { stream, state, version, snapshotVersion: snapshot?.version ?? 0 };
}

/** Loads an account by id within a tenant. */
export function loadAccount(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  tenantId: string,
  accountId: string,
): Promise<Loaded<AccountState>> {
  return load(ports, ACCOUNT, { type: 'account', tenantId, id: accountId });
}

/** Loads a transfer by id within a tenant. */
export function loadTransfer(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  tenantId: string,
  transferId: string,
): Promise<Loaded<TransferState>> {
  return load(ports, TRANSFER, { type: 'transfer', tenantId, id: transferId });
}

/** Loads a payment by id within a tenant. */
export function loadPayment(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  tenantId: string,
  paymentId: string,
): Promise<Loaded<PaymentState>> {
  return load(ports, PAYMENT, { type: 'payment', tenantId, id: paymentId });
}

/** New events for one loaded stream, with the state they lead to (computed without reading back). */
export interface Change<S> {
  readonly write: StreamWrite;
  readonly after: S | null;
  /** The snapshot to keep once the write lands, when the stream grew SNAPSHOT_EVERY events past the last one. */
  readonly snapshot: Snapshot<S> | null;
}

/** Builds the change that appending `events` to a loaded stream makes. */
export function change<S>(kind: AggregateKind<S>, loaded: Loaded<S>, events: readonly NewEvent[]): Change<S> {
  const after = events.reduce<S | null>(
    (state, event, index) =>
      kind.reduce(state, { ...event, stream: loaded.stream, version: loaded.version + index + 1 }),
    loaded.state,
  );
  const version = loaded.version + events.length;
  const due = after !== null && version - loaded.snapshotVersion >= SNAPSHOT_EVERY;
  return {
    write: { stream: loaded.stream, expectedVersion: loaded.version, events },
    after,
    snapshot: due
      ? { stream: loaded.stream, version, reducerVersion: kind.reducerVersion, state: after }
      : null,
  };
}

/**
 * Appends all changes in one atomic write, then keeps the snapshots that fell due.
 * Nothing after the append may fail the command: the money has moved, and a failed response would
 * invite a retry. A lost snapshot only costs a longer load next time.
 */
export async function commit(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  changes: readonly Change<unknown>[],
): Promise<void> {
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
