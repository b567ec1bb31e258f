import { ConcurrencyConflictError } from '../../lambdas/domain/errors.ts';
import { type StoredEvent, type StreamRef, streamKey, upcast } from '../../lambdas/domain/events.ts';
import type {
  Clock,
  EventStore,
  IdGenerator,
  LedgerPorts,
  Snapshot,
  SnapshotStore,
  StreamWrite,
} from '../../lambdas/domain/ports.ts';
import type { ShardLayout } from '../../lambdas/domain/shards.ts';

/** An event store with the DynamoDB adapter's semantics: atomic multi-stream appends, gap-free versions. */
export class InMemoryEventStore implements EventStore {
  readonly streams = new Map<string, StoredEvent[]>();
  appendCalls = 0;

  async readStream(
    stream: StreamRef,
    fromVersion = 1,
    toVersion = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredEvent[]> {
    const events = this.streams.get(streamKey(stream)) ?? [];
    // Round-trip through the stored shape so upcasting runs as it does on DynamoDB.
    return events
      .filter((e) => e.version >= fromVersion && e.version <= toVersion)
      .map((e) => ({
        ...e,
        ...upcast({ type: e.type, schemaVersion: e.schemaVersion, payload: e.payload }),
      }));
  }

  async append(writes: readonly StreamWrite[]): Promise<void> {
    this.appendCalls++;
    const moved = writes
      .filter((w) => (this.streams.get(streamKey(w.stream))?.length ?? 0) !== w.expectedVersion)
      .map((w) => streamKey(w.stream));
    if (moved.length > 0) throw new ConcurrencyConflictError(moved);
    for (const write of writes) {
      const key = streamKey(write.stream);
      const events = this.streams.get(key) ?? [];
      write.events.forEach((event, index) => {
        events.push({
          ...event,
          stream: write.stream,
          version: write.expectedVersion + index + 1,
        } as StoredEvent);
      });
      this.streams.set(key, events);
    }
  }

  /** Every event of every stream, for invariant checks. */
  all(): StoredEvent[] {
    return [...this.streams.values()].flat();
  }
}

export class InMemorySnapshotStore implements SnapshotStore {
  readonly snapshots = new Map<string, Snapshot<unknown>>();

  async get<S>(stream: StreamRef, reducerVersion: number): Promise<Snapshot<S> | null> {
    const snapshot = this.snapshots.get(streamKey(stream));
    return snapshot && snapshot.reducerVersion === reducerVersion ? (snapshot as Snapshot<S>) : null;
  }

  async put<S>(snapshot: Snapshot<S>): Promise<void> {
    const current = this.snapshots.get(streamKey(snapshot.stream));
    if (!current || current.version < snapshot.version)
      this.snapshots.set(streamKey(snapshot.stream), snapshot);
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  current: Date;
  constructor(start = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Ids `acct_1`, `tr_2`, … in order of request. */
export class SequentialIds implements IdGenerator {
  private counter = 0;
  next(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
}

export interface TestPorts extends LedgerPorts {
  readonly events: InMemoryEventStore;
  readonly snapshots: InMemorySnapshotStore;
  readonly clock: ManualClock;
}

export function inMemoryPorts(shards?: ShardLayout): TestPorts {
  return {
    events: new InMemoryEventStore(),
    snapshots: new InMemorySnapshotStore(),
    clock: new ManualClock(),
    ids: new SequentialIds(),
    ...(shards ? { shards } : {}),
  };
}

/** The event types of every stream of an account (main, then shards 0, 1, …), by stream id. */
export function accountStreams(ports: TestPorts, accountId: string, tenantId = 'tenant-a') {
  const prefix = `account#${tenantId}#${accountId}`;
  return new Map(
    [...ports.events.streams.entries()]
      .filter(([key]) => key === prefix || key.startsWith(`${prefix}~`))
      .map(([key, events]) => [key.slice(`account#${tenantId}#`.length), events]),
  );
}

export const ctx = (tenantId = 'tenant-a') => ({
  tenantId,
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: `api-key:${tenantId}`,
});
