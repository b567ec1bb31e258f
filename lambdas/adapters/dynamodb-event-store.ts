import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConcurrencyConflictError } from '../domain/errors.ts';
import {
  CURRENT_SCHEMA_VERSION,
  type StoredEvent,
  type StreamRef,
  type StreamType,
  streamKey,
  upcast,
} from '../domain/events.ts';
import type { EventStore, NewEvent, StreamWrite } from '../domain/ports.ts';
import { conflictingItems, DynamoDbAdapterError, ItemReader, isWriteConflict } from './dynamodb-errors.ts';
import { queryItems } from './dynamodb-query.ts';

/** DynamoDB's limit on the items of one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/** A version slot is written once: this is the optimistic lock. */
export const APPEND_CONDITION = 'attribute_not_exists(version)';
/** The event a write builds on exists (no gaps) and is the caller's tenant's. */
export const PREVIOUS_EVENT_CONDITION = 'attribute_exists(version) AND tenantId = :tenant';

export interface DynamoDbEventStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Items per Query page (tests use it to force pagination). @default DynamoDB's 1 MB page */
  readonly pageSize?: number;
}

/**
 * The event store on DynamoDB. Table key schema: partition key `pk` (S) = `streamKey(stream)`,
 * sort key `version` (N, from 1); one item per event, never updated or deleted.
 */
export class DynamoDbEventStore implements EventStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #pageSize: number | undefined;

  constructor(options: DynamoDbEventStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize;
  }

  async readStream(stream: StreamRef, fromVersion = 1, toVersion?: number): Promise<StoredEvent[]> {
    const pk = streamKey(stream);
    const events: StoredEvent[] = [];
    const items = queryItems(
      this.#client,
      {
        TableName: this.#tableName,
        KeyConditionExpression:
          toVersion === undefined
            ? 'pk = :pk AND version >= :from'
            : 'pk = :pk AND version BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ':from': { N: String(fromVersion) },
          ...(toVersion === undefined ? {} : { ':to': { N: String(toVersion) } }),
        },
        // A command decides on what it reads: it must see every event appended before it started.
        ConsistentRead: true,
        Limit: this.#pageSize,
      },
      pk,
    );
    for await (const item of items) events.push(storedEventFromItem(item, stream));
    return events;
  }

  async append(writes: readonly StreamWrite[]): Promise<void> {
    writes.forEach(assertWellFormed);
    assertDistinctStreams(writes);
    const [only] = writes;
    if (only === undefined) return;
    const [event] = only.events;
    if (writes.length === 1 && only.events.length === 1 && event !== undefined) {
      await this.#putOne(only.stream, only.expectedVersion + 1, event);
    } else {
      await this.#transact(writes);
    }
  }

  async #putOne(stream: StreamRef, version: number, event: NewEvent): Promise<void> {
    const command = new PutItemCommand({
      TableName: this.#tableName,
      Item: toItem(stream, version, event),
      ConditionExpression: APPEND_CONDITION,
    });
    try {
      await this.#client.send(command);
    } catch (error) {
      // TransactionConflict: a transaction on the same item is in flight; it is a race like any other.
      if (isWriteConflict(error)) {
        throw new ConcurrencyConflictError([streamKey(stream)], { cause: error });
      }
      throw new DynamoDbAdapterError(`PutItem of ${streamKey(stream)}@${version} failed`, { cause: error });
    }
  }

  async #transact(writes: readonly StreamWrite[]): Promise<void> {
    const items: TransactWriteItem[] = [];
    /** The stream key of each transaction item, by index, to name the streams in CancellationReasons. */
    const owners: string[] = [];
    for (const write of writes) {
      for (const item of this.#transactItems(write)) {
        items.push(item);
        owners.push(streamKey(write.stream));
      }
    }
    if (items.length > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(
        `An append is one TransactWriteItems of at most ${MAX_TRANSACTION_ITEMS} items; this one needs ` +
          `${items.length} (events plus one check per existing stream). Append fewer events at once.`,
      );
    }
    try {
      await this.#client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      // Name the streams that moved, in write order, once each.
      const moved = [...new Set(conflictingItems(error).flatMap((index) => owners[index] ?? []))];
      if (moved.length > 0) throw new ConcurrencyConflictError(moved, { cause: error });
      const streams = [...new Set(owners)].join(', ');
      throw new DynamoDbAdapterError(`TransactWriteItems on ${streams} failed`, { cause: error });
    }
  }

  /** A check that the stream is at `expectedVersion`, then one Put per event. */
  #transactItems(write: StreamWrite): TransactWriteItem[] {
    const pk = streamKey(write.stream);
    const items: TransactWriteItem[] = [];
    if (write.expectedVersion > 0) {
      items.push({
        ConditionCheck: {
          TableName: this.#tableName,
          Key: { pk: { S: pk }, version: { N: String(write.expectedVersion) } },
          ConditionExpression: PREVIOUS_EVENT_CONDITION,
          ExpressionAttributeValues: { ':tenant': { S: write.stream.tenantId } },
        },
      });
    }
    if (write.events.length === 0) {
      // Nothing to put: the write only asserts that nobody appended after `expectedVersion`.
      items.push({
        ConditionCheck: {
          TableName: this.#tableName,
          Key: { pk: { S: pk }, version: { N: String(write.expectedVersion + 1) } },
          ConditionExpression: APPEND_CONDITION,
        },
      });
    }
    write.events.forEach((event, index) => {
      items.push({
        Put: {
          TableName: this.#tableName,
          Item: toItem(write.stream, write.expectedVersion + 1 + index, event),
          ConditionExpression: APPEND_CONDITION,
        },
      });
    });
    return items;
  }
}

function assertWellFormed(write: StreamWrite): void {
  const pk = streamKey(write.stream);
  if (!Number.isSafeInteger(write.expectedVersion) || write.expectedVersion < 0) {
    throw new RangeError(`expectedVersion of ${pk} must be an integer >= 0, got ${write.expectedVersion}`);
  }
  for (const event of write.events) {
    if (event.tenantId !== write.stream.tenantId) {
      throw new Error(`Event ${event.eventId} carries another tenant than its stream ${pk}`);
    }
  }
}

function assertDistinctStreams(writes: readonly StreamWrite[]): void {
  const seen = new Set<string>();
  for (const { stream } of writes) {
    const pk = streamKey(stream);
    // DynamoDB would reject it too, but only as a ValidationException naming no stream.
    if (seen.has(pk)) throw new Error(`An append may write to ${pk} once, not in two StreamWrites`);
    seen.add(pk);
  }
}

function toItem(stream: StreamRef, version: number, event: NewEvent): Record<string, AttributeValue> {
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

/**
 * Decodes an unmarshalled event item (from a Query, a Scan or a stream record's NewImage), upcast to
 * the current shape. Without `stream`, the stream is read from the item and checked against its key.
 */
export function storedEventFromItem(raw: Readonly<Record<string, unknown>>, stream?: StreamRef): StoredEvent {
  const read = new ItemReader(raw, `${String(raw.pk)}@${String(raw.version)}`);
  const ref: StreamRef = stream ?? {
    type: streamTypeOf(read),
    tenantId: read.string('tenantId'),
    id: read.string('streamId'),
  };
  if (read.string('pk') !== streamKey(ref)) throw read.corrupt('pk is not the stream key of its attributes');
  // The tenant is already part of the key; checking it again means a key bug cannot leak data.
  if (read.string('tenantId') !== ref.tenantId) throw read.corrupt('tenantId is not the stream tenant');
  const event = upcast({
    type: read.string('type'),
    schemaVersion: read.integer('schemaVersion'),
    payload: read.map('payload'),
  });
  return {
    ...event,
    eventId: read.string('eventId'),
    // The payload now has the current shape, so the envelope says so.
    schemaVersion: CURRENT_SCHEMA_VERSION[event.type],
    occurredAt: read.string('occurredAt'),
    tenantId: ref.tenantId,
    correlationId: read.string('correlationId'),
    causationId: read.string('causationId'),
    actor: read.string('actor'),
    stream: ref,
    version: read.integer('version'),
  };
}

function streamTypeOf(read: ItemReader): StreamType {
  const type = read.string('streamType');
  if (type !== 'account' && type !== 'transfer' && type !== 'payment')
    throw read.corrupt(`unknown streamType '${type}'`);
  return type;
}
