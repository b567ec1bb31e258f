import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { GENESIS_HASH } from '../domain/audit.ts';
import { ConcurrencyConflictError } from '../domain/errors.ts';
import { type StoredEvent, type StreamRef, streamKey } from '../domain/events.ts';
import type { EventStore, StreamWrite } from '../domain/ports.ts';
import { conflictingItems, DynamoDbAdapterError, isWriteConflict } from './dynamodb-errors.ts';
import { eventHash, LEAN_ATTRIBUTES, storedEventFromItem, toItem } from './dynamodb-event-item.ts';
import { queryItems } from './dynamodb-query.ts';

/** DynamoDB's limit on the items of one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/** A version slot is written once: this is the optimistic lock. */
export const APPEND_CONDITION = 'attribute_not_exists(version)';
/** The event a write builds on exists (no gaps); its key names the tenant, so it is the caller's. */
export const PREVIOUS_EVENT_CONDITION = 'attribute_exists(version)';

/** A bounded read of a known version range is split into parallel Queries of this many versions. */
export const READ_SEGMENT_VERSIONS = 2_000;

/** How many streams' last seen chain hash a store keeps (oldest forgotten first). */
export const HEAD_CACHE_STREAMS = 10_000;

export interface DynamoDbEventStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Items per Query page (tests use it to force pagination). @default DynamoDB's 1 MB page */
  readonly pageSize?: number;
}

/**
 * The event store on DynamoDB. Table key schema: partition key `pk` (S) = `streamKey(stream)`,
 * sort key `version` (N, from 1); one item per event, never updated or deleted.
 *
 * Each item carries `h`, its link in the stream's hash chain (lambdas/domain/audit.ts). An append
 * after version N needs the `h` of version N: the store remembers the newest item it read or wrote
 * of each stream, and a command appends right after its load read the head (the newest page is
 * always read), so no extra round trip is made. Only when that is not known (another container's
 * load, a forgotten stream) is it read first, with one GetItem of `h`. An item without `h` (written
 * before the chain) is followed by a chain that starts again from GENESIS_HASH.
 */
export class DynamoDbEventStore implements EventStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #pageSize: number | undefined;
  /** The newest item seen per stream key: its version and chain hash (undefined: unchained). */
  readonly #heads = new Map<string, { readonly version: number; readonly h: Uint8Array | undefined }>();

  constructor(options: DynamoDbEventStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize;
  }

  async readStream(stream: StreamRef, fromVersion = 1, toVersion?: number): Promise<StoredEvent[]> {
    if (toVersion !== undefined && toVersion < fromVersion) return [];
    const segments: Array<Promise<StoredEvent[]>> = [];
    // A known range is read as parallel segments: one round trip's time instead of one per page.
    if (toVersion !== undefined && toVersion - fromVersion + 1 > READ_SEGMENT_VERSIONS) {
      for (let from = fromVersion; from <= toVersion; from += READ_SEGMENT_VERSIONS) {
        segments.push(
          this.#query(stream, { from, to: Math.min(toVersion, from + READ_SEGMENT_VERSIONS - 1) }),
        );
      }
    } else {
      segments.push(this.#query(stream, { from: fromVersion, to: toVersion }));
    }
    return (await Promise.all(segments)).flat();
  }

  /**
   * The newest `count` events after `afterVersion`, ascending: one Query read backwards from the
   * head. Fewer than `count` events means these are all the events after `afterVersion`.
   */
  async readNewest(stream: StreamRef, count: number, afterVersion = 0): Promise<StoredEvent[]> {
    const newest = await this.#query(stream, { from: afterVersion + 1, newest: count });
    return newest.reverse();
  }

  async #query(
    stream: StreamRef,
    range: { readonly from: number; readonly to?: number | undefined; readonly newest?: number },
  ): Promise<StoredEvent[]> {
    const pk = streamKey(stream);
    const { from, to, newest } = range;
    const events: StoredEvent[] = [];
    const items = queryItems(
      this.#client,
      {
        TableName: this.#tableName,
        KeyConditionExpression:
          to === undefined ? 'pk = :pk AND version >= :from' : 'pk = :pk AND version BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ':from': { N: String(from) },
          ...(to === undefined ? {} : { ':to': { N: String(to) } }),
        },
        // A command decides on what it reads: it must see every event appended before it started.
        ConsistentRead: true,
        ScanIndexForward: newest === undefined,
        ReturnConsumedCapacity: 'TOTAL',
        Limit: this.#pageSize,
      },
      pk,
      () =>
        newest === undefined ? this.#pageSize : Math.min(newest - events.length, this.#pageSize ?? newest),
    );
    for await (const item of items) {
      events.push(storedEventFromItem(item, stream));
      this.#seen(pk, item);
      if (events.length === newest) break;
    }
    return events;
  }

  /** Remembers the chain hash of `item` when it is the newest of its stream seen so far. */
  #seen(pk: string, item: Readonly<Record<string, unknown>>): void {
    const version = item.version;
    const h = item[LEAN_ATTRIBUTES.hash];
    if (typeof version !== 'number' || (this.#heads.get(pk)?.version ?? 0) > version) return;
    this.#remember(pk, version, h instanceof Uint8Array ? h : undefined);
  }

  #remember(pk: string, version: number, h: Uint8Array | undefined): void {
    this.#heads.delete(pk);
    this.#heads.set(pk, { version, h });
    if (this.#heads.size > HEAD_CACHE_STREAMS) {
      const oldest = this.#heads.keys().next();
      if (!oldest.done) this.#heads.delete(oldest.value);
    }
  }

  /** The chain hash a write after `expectedVersion` links to (GENESIS_HASH for a new or unchained stream). */
  async #previousHash(write: StreamWrite): Promise<Uint8Array> {
    if (write.expectedVersion === 0) return GENESIS_HASH;
    // No item: the write's own check of that version fails, and the chain is then moot.
    return (await this.hashAt(write.stream, write.expectedVersion)) ?? GENESIS_HASH;
  }

  /**
   * The chain hash `h` of the stream's event at `version`: remembered when it is the newest this store
   * read or wrote, otherwise read (one GetItem of `h`). Undefined for an event before the chain, or none.
   */
  async hashAt(stream: StreamRef, version: number): Promise<Uint8Array | undefined> {
    const pk = streamKey(stream);
    const known = this.#heads.get(pk);
    if (known?.version === version) return known.h;
    let answer: GetItemCommandOutput | undefined;
    try {
      answer = await this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { pk: { S: pk }, version: { N: String(version) } },
          ProjectionExpression: LEAN_ATTRIBUTES.hash,
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (error) {
      throw new DynamoDbAdapterError(`GetItem of ${pk}@${version} failed`, { cause: error });
    }
    return answer?.Item?.[LEAN_ATTRIBUTES.hash]?.B;
  }

  /** Each write's items (events with their chain hashes), and the stream heads they make. */
  async #chained(writes: readonly StreamWrite[]) {
    return Promise.all(
      writes.map(async (write) => {
        let previous = await this.#previousHash(write);
        const items = write.events.map((event, index) => {
          const version = write.expectedVersion + 1 + index;
          previous = eventHash(write.stream, version, event, previous);
          return toItem(write.stream, version, event, previous);
        });
        return { write, items, head: previous };
      }),
    );
  }

  async append(writes: readonly StreamWrite[]): Promise<void> {
    writes.forEach(assertWellFormed);
    assertDistinctStreams(writes);
    const chained = await this.#chained(writes);
    const [only] = chained;
    if (only === undefined) return;
    const [item] = only.items;
    // A Put can only check its own slot: building on an existing event needs the transaction's check.
    if (
      chained.length === 1 &&
      only.items.length === 1 &&
      item !== undefined &&
      only.write.expectedVersion === 0
    ) {
      await this.#putOne(only.write.stream, item);
    } else {
      await this.#transact(chained);
    }
    for (const { write, head } of chained) {
      if (write.events.length > 0) {
        this.#remember(streamKey(write.stream), write.expectedVersion + write.events.length, head);
      }
    }
  }

  /** The first event of a new stream. */
  async #putOne(stream: StreamRef, item: Record<string, AttributeValue>): Promise<void> {
    const version = 1;
    const command = new PutItemCommand({
      TableName: this.#tableName,
      Item: item,
      ConditionExpression: APPEND_CONDITION,
      ReturnConsumedCapacity: 'TOTAL',
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

  async #transact(writes: readonly ChainedWrite[]): Promise<void> {
    const items: TransactWriteItem[] = [];
    /** The stream key of each transaction item, by index, to name the streams in CancellationReasons. */
    const owners: string[] = [];
    for (const { write, items: puts } of writes) {
      for (const item of this.#transactItems(write, puts)) {
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
      await this.#client.send(
        new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }),
      );
    } catch (error) {
      // Name the streams that moved, in write order, once each.
      const moved = [...new Set(conflictingItems(error).flatMap((index) => owners[index] ?? []))];
      if (moved.length > 0) throw new ConcurrencyConflictError(moved, { cause: error });
      const streams = [...new Set(owners)].join(', ');
      throw new DynamoDbAdapterError(`TransactWriteItems on ${streams} failed`, { cause: error });
    }
  }

  /** A check that the stream is at `expectedVersion`, then one Put per event item. */
  #transactItems(write: StreamWrite, puts: readonly Record<string, AttributeValue>[]): TransactWriteItem[] {
    const pk = streamKey(write.stream);
    const items: TransactWriteItem[] = [];
    if (write.expectedVersion > 0) {
      items.push({
        ConditionCheck: {
          TableName: this.#tableName,
          Key: { pk: { S: pk }, version: { N: String(write.expectedVersion) } },
          ConditionExpression: PREVIOUS_EVENT_CONDITION,
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
    for (const item of puts) {
      items.push({ Put: { TableName: this.#tableName, Item: item, ConditionExpression: APPEND_CONDITION } });
    }
    return items;
  }
}

/** A write with its event items, chained. */
interface ChainedWrite {
  readonly write: StreamWrite;
  readonly items: readonly Record<string, AttributeValue>[];
}

function assertWellFormed(write: StreamWrite): void {
  const pk = streamKey(write.stream);
  if (!Number.isSafeInteger(write.expectedVersion) || write.expectedVersion < 0) {
    throw new RangeError(`expectedVersion of ${pk} must be an integer >= 0, got ${write.expectedVersion}`);
  }
  // The key is `<type>#<tenant>#<id>` and items are decoded by parsing it.
  if (write.stream.tenantId.includes('#')) throw new RangeError(`A tenant id may not contain '#': ${pk}`);
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

export { storedEventFromItem };
