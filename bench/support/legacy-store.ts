/**
 * The event store as it was before issue 10, for side-by-side benches in one run: the first item
 * layout (every envelope field under its own name, the stream repeated beside the key) and the load
 * it served (snapshot lookup, then an ascending Query of the tail: two sequential round trips).
 */
import { type DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Aggregate } from '../../lambdas/domain/aggregate.ts';
import { reducerOf } from '../../lambdas/domain/aggregate.ts';
import { type LedgerEvent, type StreamRef, streamKey } from '../../lambdas/domain/events.ts';
import type { EventStore, Loaded, NewEvent, SnapshotStore } from '../../lambdas/domain/ports.ts';

/** An event item in the first layout. */
export function legacyItem(stream: StreamRef, version: number, event: NewEvent) {
  return marshall(
    {
      pk: streamKey(stream),
      version,
      streamType: stream.type,
      streamId: stream.id,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      occurredAt: event.occurredAt,
      tenantId: event.tenantId,
      correlationId: event.correlationId,
      causationId: event.causationId,
      actor: event.actor,
      payload: event.payload,
    },
    { removeUndefinedValues: true },
  );
}

/** Writes events in the first layout from `fromVersion` on (no checks: the bench owns the stream). */
export async function putLegacyEvents(
  client: DynamoDBClient,
  tableName: string,
  stream: StreamRef,
  fromVersion: number,
  events: readonly NewEvent[],
): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const chunk = events.slice(i, i + 100);
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: chunk.map((event, j) => ({
          Put: { TableName: tableName, Item: legacyItem(stream, fromVersion + i + j, event) },
        })),
      }),
    );
  }
}

/** The load before issue 10: the snapshot, then (only then) every event after it, ascending. */
export async function legacyLoad<S, E extends LedgerEvent>(
  ports: { readonly events: EventStore; readonly snapshots: SnapshotStore },
  aggregate: Aggregate<S, E>,
  stream: StreamRef,
): Promise<Loaded<S>> {
  const snapshot = await ports.snapshots.get<S>(stream, aggregate.reducerVersion);
  const events = await ports.events.readStream(stream, (snapshot?.version ?? 0) + 1);
  const state = events.reduce<S | null>(reducerOf(aggregate), snapshot?.state ?? aggregate.initialState);
  const version = events.at(-1)?.version ?? snapshot?.version ?? 0;
  return { stream, state, version, snapshotVersion: snapshot?.version ?? 0 };
}
