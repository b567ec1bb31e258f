import type { EventMetadata, LedgerEvent, StoredEvent, StreamRef } from './events.ts';
import type { ShardLayout } from './shards.ts';

/** A new event to append: the envelope fields the store does not derive itself. */
export type NewEvent = LedgerEvent &
  EventMetadata & {
    readonly eventId: string;
    readonly schemaVersion: number;
    readonly occurredAt: string;
  };

/**
 * Events to append to one stream, expected to be at `expectedVersion` (0 = new stream). A write with
 * no events only asserts that the stream is still at that version.
 */
export interface StreamWrite {
  readonly stream: StreamRef;
  readonly expectedVersion: number;
  readonly events: readonly NewEvent[];
}

/** The append-only event store. */
export interface EventStore {
  /**
   * Events of a stream with `fromVersion <= version <= toVersion` (default 1 and the end),
   * ascending, upcast to current shapes (their `schemaVersion` is then the current one).
   */
  readStream(stream: StreamRef, fromVersion?: number, toVersion?: number): Promise<StoredEvent[]>;
  /**
   * Appends to one or more streams atomically; throws ConcurrencyConflictError naming the streams
   * that moved when any stream is not at its expected version.
   */
  append(writes: readonly StreamWrite[]): Promise<void>;
}

/** A reducer's state saved at a stream version, stamped with the reducer's version. */
export interface Snapshot<S> {
  readonly stream: StreamRef;
  readonly version: number;
  readonly reducerVersion: number;
  readonly state: S;
}

/** Snapshots kept apart from the events table; a snapshot is an optimisation, never the truth. */
export interface SnapshotStore {
  /** The newest snapshot of the stream written by `reducerVersion`, or null. */
  get<S>(stream: StreamRef, reducerVersion: number): Promise<Snapshot<S> | null>;
  put<S>(snapshot: Snapshot<S>): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new unique id, e.g. `acct_01J…` for prefix `acct`. */
  next(prefix: string): string;
}

/** What every command receives: its ports. */
export interface LedgerPorts {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** How many shard streams sharded accounts get (see shards.ts). @default DEFAULT_SHARD_LAYOUT */
  readonly shards?: ShardLayout;
  /**
   * The replica count of hot accounts seen so far (`<tenantId>#<accountId>` → N), per container: fixed when
   * an account opens, so a credit to a known hot account reads its replica only. @default none kept
   */
  readonly hotAccounts?: Map<string, number>;
}
