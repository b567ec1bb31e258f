import type { AmountCeilings } from './ceilings.ts';
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
   * The newest `count` events with `version > afterVersion` (default 0), ascending, read
   * consistently backwards from the head in one round trip. Fewer than `count` means that is every
   * event after `afterVersion`. Optional: a load without it reads the snapshot, then the tail.
   */
  readNewest?(stream: StreamRef, count: number, afterVersion?: number): Promise<StoredEvent[]>;
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
  /**
   * States this container loaded lately, newest per stream and reducer version, in memory only: a load
   * starts from one as from a snapshot (reading every later event) and looks up no snapshot. Optional.
   */
  readonly recent?: LoadCache;
}

/**
 * What one command already loaded, per stream and reducer version, as snapshots of its own: a
 * retry after a conflict reads only the events after them. Made fresh for each command.
 */
export interface LoadCache {
  get<S>(stream: StreamRef, reducerVersion: number): Loaded<S> | undefined;
  put<S>(reducerVersion: number, loaded: Loaded<S>): void;
  /**
   * Whether the cache's holder vouches that `version` is still the stream's head, so `load` reads
   * nothing. Only for a holder whose append checks every stream so loaded that it writes, whose
   * decisions read the others only for what can only help (a hot account's replicas, which take only
   * the side that helps its limit), and who decides a refusal again on fresh reads (an import chunk's
   * batches): a stale state then costs a conflict or a second decision, never a wrong answer.
   */
  current?(stream: StreamRef, version: number): boolean;
}

/** A stream's state as loaded: what a command decides on, and what it appends after. */
export interface Loaded<S> {
  readonly stream: StreamRef;
  readonly state: S | null;
  /** The stream's current version (0 when it has no events). */
  readonly version: number;
  /** The version of the snapshot it was loaded from (0 for none). */
  readonly snapshotVersion: number;
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
  /** The command's load memory, when its retry loop keeps one (see `withLoadCache`). */
  readonly loadCache?: LoadCache;
  /** The largest amount one transfer or payment may move, per tenant. @default DEFAULT_AMOUNT_CEILINGS */
  readonly ceilings?: AmountCeilings;
}
