import {
  type AttributeValue,
  BatchGetItemCommand,
  type CancellationReason,
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { RowClaim, RowKey, RowSettlement } from '../domain/imports-ports.ts';
import { retryRounds } from './backoff.ts';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

/** DynamoDB's limits: keys of one BatchGetItem, items of one TransactWriteItems. */
const MAX_BATCH_GET = 100;
const MAX_TRANSACT_ITEMS = 100;
/** Batches of one call in flight at once. */
const PARALLEL_BATCHES = 4;
/** Rounds for keys DynamoDB left unprocessed or items a concurrent transaction held. */
const RETRY = { retries: 8, base: 20, cap: 500 } as const;

type Stored = Record<string, unknown>;

/**
 * Row claims, a chunk at a time (`<tenant>#<first import>` / `row#<row id>`: which line of which import
 * claimed a row id, and its outcome). One BatchGetItem per 100 rows reads the claims that exist; the
 * rows still free (or, for a retry, still rejected) are claimed by TransactWriteItems of up to 100
 * conditional puts. A put whose condition fails (another line claimed the id in between) cancels its
 * transaction: that row is classified from the item the failure returns, the others go again.
 */
export class DynamoDbRowClaims {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async claim(rows: readonly RowKey[], retry: boolean): Promise<RowClaim[]> {
    // The first line of a row id claims it; a later line with the same id finds that line's claim.
    const first = new Map<string, RowKey>();
    for (const row of rows) if (!first.has(row.rowId)) first.set(row.rowId, row);
    const heads = [...first.values()];
    const owners = await this.#read(heads);
    const toClaim = heads.filter((row) => classify(row, owners.get(row.rowId), retry) === undefined);
    for (const row of toClaim)
      owners.set(row.rowId, { importId: row.importId, line: row.line, state: 'claimed' });
    await this.#transact(
      toClaim,
      (row) => ({
        Put: {
          TableName: this.#table,
          Item: marshall({
            ...rowKey(row),
            importId: row.importId,
            line: row.line,
            state: 'claimed',
            reason: '',
          }),
          ConditionExpression: retry ? '#state = :rejected AND importId <> :i' : 'attribute_not_exists(pk)',
          ...(retry
            ? {
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: marshall({ ':rejected': 'rejected', ':i': row.importId }),
              }
            : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      }),
      (row, old) => owners.set(row.rowId, old ? unmarshall(old) : undefined),
    );
    return rows.map((row) => classify(row, owners.get(row.rowId), retry) ?? { kind: 'not-rejected' });
  }

  /** Records outcomes, each only while its line still holds the claim (otherwise an error). */
  async settle(rows: readonly RowSettlement[]): Promise<void> {
    await this.#transact(
      rows,
      (row) => ({
        Update: {
          TableName: this.#table,
          Key: marshall(rowKey(row)),
          UpdateExpression: 'SET #state = :o, reason = :r',
          ConditionExpression: 'importId = :i AND line = :l',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: marshall({
            ':o': row.outcome,
            ':r': row.reason,
            ':i': row.importId,
            ':l': row.line,
          }),
        },
      }),
      (row) => {
        throw new DynamoDbAdapterError(
          `row ${row.rowId} (line ${row.line}) is no longer claimed by its line`,
        );
      },
    );
  }

  /** The claim items of `rows` (distinct row ids) that exist, by row id. */
  async #read(rows: readonly RowKey[]): Promise<Map<string, Stored | undefined>> {
    const found = new Map<string, Stored | undefined>();
    await inBatches(rows, MAX_BATCH_GET, (batch) =>
      retryRounds(
        batch.map((row) => marshall(rowKey(row))),
        async (keys) => {
          const { Responses, UnprocessedKeys } = await this.#client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.#table]: { Keys: [...keys], ConsistentRead: true } },
            }),
          );
          for (const item of Responses?.[this.#table] ?? []) {
            const stored = unmarshall(item);
            found.set(String(stored.sk).slice('row#'.length), stored);
          }
          return UnprocessedKeys?.[this.#table]?.Keys ?? [];
        },
        RETRY,
        () => new DynamoDbAdapterError('BatchGetItem of row claims left keys unread'),
      ),
    );
    return found;
  }

  /**
   * Writes `items` by transactions of up to 100. An item whose condition failed is handed to
   * `failed` with the item it met (null when there was none) and not written; the rest of its
   * transaction goes again, as do items another transaction held at the time.
   */
  async #transact<T>(
    items: readonly T[],
    write: (item: T) => TransactWriteItem,
    failed: (item: T, old: Record<string, AttributeValue> | null) => void,
  ): Promise<void> {
    await inBatches(items, MAX_TRANSACT_ITEMS, (batch) =>
      retryRounds(
        batch,
        async (pending) => {
          const reasons = await this.#send(pending.map(write));
          if (!reasons) return [];
          const again: T[] = [];
          pending.forEach((item, i) => {
            const reason = reasons[i];
            if (reason?.Code === 'ConditionalCheckFailed') failed(item, reason.Item ?? null);
            else again.push(item);
          });
          return again;
        },
        RETRY,
        () => new DynamoDbAdapterError('row claims kept conflicting'),
      ),
    );
  }

  /** One transaction: undefined when it committed, else why each item was cancelled. */
  async #send(items: TransactWriteItem[]): Promise<CancellationReason[] | undefined> {
    try {
      await this.#client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || !error.CancellationReasons) throw error;
      return error.CancellationReasons;
    }
  }
}

/**
 * What a stored claim says for a line, or undefined when the line may claim it now: a free id (the root
 * import), or (a retry) an id whose line the import it retries rejected.
 */
function classify(row: RowKey, old: Stored | undefined, retry: boolean): RowClaim | undefined {
  if (!old) return retry ? { kind: 'not-rejected' } : undefined;
  if (old.importId === row.importId && old.line === row.line) {
    return old.state === 'accepted' || old.state === 'rejected'
      ? { kind: 'settled', outcome: old.state, reason: String(old.reason ?? '') }
      : { kind: 'new' };
  }
  if (retry && old.state === 'rejected') return undefined;
  return { kind: 'duplicate', line: Number(old.line), importId: String(old.importId) };
}

const rowKey = (row: RowKey) => ({
  pk: `${row.tenantId}#${row.rootImportId}`,
  sk: `row#${row.rowId}`,
});

/** Runs `work` over slices of `size`, a few at once. */
async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (batch: T[]) => Promise<void>,
): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
    await Promise.all(batches.slice(i, i + PARALLEL_BATCHES).map(work));
  }
}
