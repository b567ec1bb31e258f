import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  type Update,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountState } from '../domain/account.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { historyGuardKey, historyPartition, historySortKey } from '../domain/projections/account-history.ts';
import { accountViewKey } from '../domain/projections/account-view.ts';
import { currenciesKey, totalsPartition } from '../domain/projections/daily-totals.ts';
import {
  PAYMENT_VIEW_INDEXES,
  paymentStatusPartition,
  paymentViewKey,
} from '../domain/projections/payment-view.ts';
import {
  type DailyTotals,
  type Guard,
  type GuardedCommit,
  GuardMovedError,
  type Posting,
  type PostingPage,
  type PostingPosition,
  type ReadModelName,
  type ReadModelQueries,
  type ReadModelStore,
  type RowChange,
  type RowKey,
} from '../domain/projections/read-model.ts';
import { transferViewKey } from '../domain/projections/transfer-view.ts';
import type { TransferState } from '../domain/transfer.ts';
import { DynamoDbAdapterError, ItemReader } from './dynamodb-errors.ts';
import { MAX_TRANSACTION_ITEMS } from './dynamodb-event-store.ts';
import { queryItems } from './dynamodb-query.ts';

/** Each read model has two tables; the pointer names the one that serves (the other is rebuilt). */
export type Slot = 'blue' | 'green';
export const SLOTS: readonly Slot[] = ['blue', 'green'];

/** The two tables of a read model. */
export interface SlotTables {
  readonly blue: string;
  readonly green: string;
}

/** Sort key attribute by model: history and totals tables have one, the views do not. */
export const HAS_SORT_KEY: Readonly<Record<ReadModelName, boolean>> = {
  'account-view': false,
  'transfer-view': false,
  'account-history': true,
  'daily-totals': true,
  'payment-view': false,
};

export interface DynamoDbReadModelsOptions {
  readonly client: DynamoDBClient;
  /** The tables of each model this instance may touch. */
  readonly tables: Partial<Readonly<Record<ReadModelName, SlotTables>>>;
  /** Holds one pointer item per model: `{ model, active: 'blue' | 'green' }` (blue when absent). */
  readonly pointersTable: string;
  /** How long a pointer read is trusted. @default 5000 */
  readonly pointerTtlMs?: number;
  /** Write to / read from these slots regardless of the pointers (the rebuild's fresh table). */
  readonly pinned?: Partial<Readonly<Record<ReadModelName, Slot>>>;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Remember up to this many guards this store read or committed, per table generation, so a warm
   * projector reads a guard only when another writer moved it (its conditional write then fails and
   * the guard is read again). Guards only move forward within a generation, so a remembered guard is
   * never ahead of the table. 0 turns it off.
   * @default 0
   */
  readonly guardCacheSize?: number;
}

const DEFAULT_POINTER_TTL_MS = 5_000;

/**
 * The read models on DynamoDB. A guard item holds `version` (the last applied stream version) and
 * `state`; commits are conditional on `version` (or on the item's absence for version 0). Which of a
 * model's two tables serves is read from the pointers table and cached for a few seconds.
 */
export class DynamoDbReadModels implements ReadModelStore, ReadModelQueries {
  readonly #client: DynamoDBClient;
  readonly #tables: Partial<Readonly<Record<ReadModelName, SlotTables>>>;
  readonly #pointersTable: string;
  readonly #ttlMs: number;
  readonly #pinned: Partial<Readonly<Record<ReadModelName, Slot>>>;
  readonly #now: () => number;
  readonly #pointers = new Map<ReadModelName, { pointer: Pointer; until: number }>();
  readonly #guardCacheSize: number;
  /** Guards by `<table>|<generation>|<pk>|<sk>`, in least-recently-used order. */
  readonly #guards = new Map<string, Guard<unknown>>();

  constructor(options: DynamoDbReadModelsOptions) {
    this.#client = options.client;
    this.#tables = options.tables;
    this.#pointersTable = options.pointersTable;
    this.#ttlMs = options.pointerTtlMs ?? DEFAULT_POINTER_TTL_MS;
    this.#pinned = options.pinned ?? {};
    this.#now = options.now ?? Date.now;
    this.#guardCacheSize = options.guardCacheSize ?? 0;
  }

  /** The slot serving `model` now (the pinned one, else the pointer, cached). */
  async activeSlot(model: ReadModelName): Promise<Slot> {
    return (await this.#pointer(model)).slot;
  }

  async #pointer(model: ReadModelName): Promise<Pointer> {
    const pinned = this.#pinned[model];
    if (pinned) return { slot: pinned, generation: 'pinned' };
    const cached = this.#pointers.get(model);
    if (cached && cached.until > this.#now()) return cached.pointer;
    const pointer = await readPointerItem(this.#client, this.#pointersTable, model);
    this.#pointers.set(model, { pointer, until: this.#now() + this.#ttlMs });
    return pointer;
  }

  /** The table serving `model` now. */
  async tableOf(model: ReadModelName): Promise<string> {
    const tables = this.#tables[model];
    if (!tables) throw new Error(`No tables configured for the ${model} read model`);
    return tables[await this.activeSlot(model)];
  }

  async #cacheKey(model: ReadModelName, key: RowKey): Promise<string> {
    const pointer = await this.#pointer(model);
    return `${await this.tableOf(model)}|${pointer.generation}|${key.pk}|${key.sk ?? ''}`;
  }

  #remember(cacheKey: string, guard: Guard<unknown>): void {
    if (this.#guardCacheSize <= 0) return;
    this.#guards.delete(cacheKey);
    this.#guards.set(cacheKey, guard);
    if (this.#guards.size > this.#guardCacheSize) {
      const oldest = this.#guards.keys().next().value;
      if (oldest !== undefined) this.#guards.delete(oldest);
    }
  }

  async readGuard<S>(model: ReadModelName, key: RowKey, tenantId: string): Promise<Guard<S>> {
    const cacheKey = await this.#cacheKey(model, key);
    const cached = this.#guards.get(cacheKey);
    if (cached) return structuredClone(cached) as Guard<S>;
    const item = await this.#get(model, key, true);
    if (item === undefined) return { version: 0, state: null };
    const read = new ItemReader(item, `${model}:${key.pk}`);
    if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the stream tenant');
    const guard = { version: read.integer('version'), state: (item.state ?? null) as S | null };
    this.#remember(cacheKey, guard);
    return guard;
  }

  async commit<S>(commit: GuardedCommit<S>): Promise<void> {
    const cacheKey = await this.#cacheKey(commit.model, commit.key);
    try {
      await this.#commit(commit);
      this.#remember(cacheKey, structuredClone(commit.next));
    } catch (error) {
      this.#guards.delete(cacheKey);
      throw error;
    }
  }

  async commitBatch(commits: readonly GuardedCommit<unknown>[]): Promise<readonly GuardedCommit<unknown>[]> {
    if (commits.length === 0) return [];
    const tables = new Map<ReadModelName, string>();
    for (const commit of commits) {
      if (!tables.has(commit.model)) tables.set(commit.model, await this.tableOf(commit.model));
    }
    const tableOf = (commit: GuardedCommit<unknown>) => tables.get(commit.model) as string;
    // Rows first, as in commit(): deterministic and idempotent, 25 to a BatchWriteItem.
    const rows = new Map<string, { table: string; item: Record<string, AttributeValue> }>();
    for (const commit of commits) {
      for (const change of commit.changes) {
        if (change.kind !== 'put') continue;
        const table = tableOf(commit);
        rows.set(`${table}|${change.key.pk}|${change.key.sk ?? ''}`, {
          table,
          item: marshall({ ...change.row, ...change.key }, { removeUndefinedValues: true }),
        });
      }
    }
    await this.#putRows([...rows.values()]);
    // Guards and counters in transactions of at most 100 items; a transaction adds each counter row
    // once, summed over its commits (DynamoDB refuses two operations on one item in a transaction).
    const rejected: GuardedCommit<unknown>[] = [];
    let chunk: GuardedCommit<unknown>[] = [];
    let counters = new Map<string, { table: string; change: Extract<RowChange, { kind: 'add' }> }>();
    const flush = async () => {
      if (chunk.length === 0) return;
      const items: TransactWriteItem[] = [
        ...chunk.map((commit) => guardItem(tableOf(commit), commit)),
        ...[...counters.values()].map(({ table, change }) => changeItem(table, change)),
      ];
      try {
        await this.#client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        for (const commit of chunk)
          this.#remember(await this.#cacheKey(commit.model, commit.key), commit.next);
      } catch {
        // Whatever the cause, nothing of this transaction applied: the caller redoes these one by one.
        for (const commit of chunk) this.#guards.delete(await this.#cacheKey(commit.model, commit.key));
        rejected.push(...chunk);
      }
      chunk = [];
      counters = new Map();
    };
    for (const commit of commits) {
      const adds = commit.changes.filter((c): c is Extract<RowChange, { kind: 'add' }> => c.kind === 'add');
      const fresh = adds.filter(
        (c) => !counters.has(`${tableOf(commit)}|${c.key.pk}|${c.key.sk ?? ''}`),
      ).length;
      if (chunk.length + counters.size + 1 + fresh > MAX_TRANSACTION_ITEMS) await flush();
      chunk.push(commit);
      for (const add of adds) {
        const id = `${tableOf(commit)}|${add.key.pk}|${add.key.sk ?? ''}`;
        const known = counters.get(id);
        counters.set(id, { table: tableOf(commit), change: known ? sumAdds(known.change, add) : add });
      }
    }
    await flush();
    return rejected;
  }

  async #putRows(rows: readonly { table: string; item: Record<string, AttributeValue> }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 25) {
      let requests: Record<string, WriteRequest[]> = {};
      for (const { table, item } of rows.slice(i, i + 25)) {
        const list = requests[table] ?? [];
        list.push({ PutRequest: { Item: item } });
        requests[table] = list;
      }
      for (let attempt = 0; Object.keys(requests).length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        if (attempt > 8)
          throw new DynamoDbAdapterError('BatchWriteItem left items unprocessed after 8 retries');
        const { UnprocessedItems } = await this.#client
          .send(new BatchWriteItemCommand({ RequestItems: requests }))
          .catch((error: unknown) => {
            throw new DynamoDbAdapterError('BatchWriteItem of read-model rows failed', { cause: error });
          });
        requests = (UnprocessedItems ?? {}) as Record<string, WriteRequest[]>;
      }
    }
  }

  async #commit<S>(commit: GuardedCommit<S>): Promise<void> {
    const table = await this.tableOf(commit.model);
    // Puts are deterministic (the same event on the same guard state gives the same row) and
    // idempotent, so they go first, outside the transaction: a retry or a rival rewrites the same
    // bytes. Only the guard and the counters (ADD is not idempotent) must move together.
    for (const change of commit.changes) {
      if (change.kind !== 'put') continue;
      await this.#client
        .send(new PutItemCommand(changeItem(table, change).Put as NonNullable<TransactWriteItem['Put']>))
        .catch((error: unknown) => {
          throw new DynamoDbAdapterError(`PutItem of a ${commit.model} row failed`, { cause: error });
        });
    }
    const together = commit.changes.filter((change) => change.kind !== 'put');
    const guard = guardItem(table, commit);
    const where = `${commit.model}:${commit.key.pk}@${commit.next.version}`;
    try {
      if (together.length === 0) {
        await this.#client.send(new PutItemCommand(guard.Put as NonNullable<TransactWriteItem['Put']>));
      } else {
        const items = [guard, ...together.map((change) => changeItem(table, change))];
        await this.#client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      }
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new GuardMovedError(commit.model, commit.key, { cause: error });
      }
      if (error instanceof TransactionCanceledException) {
        // Our guard failed its condition, or another transaction held one of the items: both mean
        // "read the guard again and decide again".
        const codes = (error.CancellationReasons ?? []).map((r) => r.Code);
        if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
          throw new GuardMovedError(commit.model, commit.key, { cause: error });
        }
      }
      if (isTransactionConflict(error)) throw new GuardMovedError(commit.model, commit.key, { cause: error });
      throw new DynamoDbAdapterError(`Commit of ${where} failed`, { cause: error });
    }
  }

  async account(tenantId: string, accountId: string): Promise<AccountState | null> {
    return this.#view<AccountState>('account-view', accountViewKey(tenantId, accountId), tenantId);
  }

  async transfer(tenantId: string, transferId: string): Promise<TransferState | null> {
    return this.#view<TransferState>('transfer-view', transferViewKey(tenantId, transferId), tenantId);
  }

  async postings(
    tenantId: string,
    accountId: string,
    after: PostingPosition | null,
    limit: number,
  ): Promise<PostingPage | null> {
    const guard = await this.#get('account-history', historyGuardKey(tenantId, accountId), false);
    if (guard === undefined) return null;
    const table = await this.tableOf('account-history');
    const pk = historyPartition(tenantId, accountId);
    const rows: Posting[] = [];
    // One row more than asked tells whether another page follows (no empty last page).
    const items = queryItems(
      this.#client,
      {
        TableName: table,
        KeyConditionExpression: after ? 'pk = :pk AND sk > :after' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ...(after ? { ':after': { S: historySortKey(after) } } : {}),
        },
      },
      `the history of ${pk}`,
      () => limit + 1 - rows.length,
    );
    for await (const item of items) {
      rows.push(toPosting(item, tenantId));
      if (rows.length > limit) break;
    }
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  async dailyTotals(tenantId: string, currency: string, from: string, to: string): Promise<DailyTotals[]> {
    const table = await this.tableOf('daily-totals');
    const pk = totalsPartition(tenantId, currency);
    const totals: DailyTotals[] = [];
    const items = queryItems(
      this.#client,
      {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: from }, ':to': { S: to } },
      },
      `the daily totals ${pk}`,
    );
    for await (const item of items) {
      const read = new ItemReader(item, `daily-totals:${pk}`);
      if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
      totals.push({
        day: read.string('sk'),
        currency: read.string('currency'),
        count: read.integer('count'),
        debits: read.integer('debits'),
        credits: read.integer('credits'),
        deposits: read.integer('deposits'),
        withdrawals: read.integer('withdrawals'),
      });
    }
    return totals;
  }

  async currencies(tenantId: string): Promise<string[]> {
    const item = await this.#get('daily-totals', currenciesKey(tenantId), false);
    const set = item?.currencies;
    return set instanceof Set ? [...(set as Set<string>)].sort() : [];
  }

  async payment(tenantId: string, paymentId: string): Promise<PaymentState | null> {
    return this.#view<PaymentState>('payment-view', paymentViewKey(tenantId, paymentId), tenantId);
  }

  async payments(
    tenantId: string,
    filter: { readonly status?: string | undefined; readonly after: string | null; readonly limit: number },
  ): Promise<{ rows: PaymentState[]; more: boolean }> {
    const table = await this.tableOf('payment-view');
    const index = filter.status ? PAYMENT_VIEW_INDEXES.byStatus : PAYMENT_VIEW_INDEXES.byTenant;
    const partition = filter.status ? paymentStatusPartition(tenantId, filter.status) : tenantId;
    const rows: PaymentState[] = [];
    // Newest first; one row more than asked tells whether another page follows.
    const items = queryItems(
      this.#client,
      {
        TableName: table,
        IndexName: index.name,
        KeyConditionExpression: filter.after ? '#p = :p AND #s < :after' : '#p = :p',
        ExpressionAttributeNames: {
          '#p': index.partitionKey,
          ...(filter.after ? { '#s': index.sortKey } : {}),
        },
        ExpressionAttributeValues: {
          ':p': { S: partition },
          ...(filter.after ? { ':after': { S: filter.after } } : {}),
        },
        ScanIndexForward: false,
      },
      `the payments of ${partition}`,
      () => filter.limit + 1 - rows.length,
    );
    for await (const item of items) {
      const read = new ItemReader(item, `payment-view:${partition}`);
      if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
      rows.push(read.map('state') as unknown as PaymentState);
      if (rows.length > filter.limit) break;
    }
    return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
  }

  async #view<S>(model: ReadModelName, key: RowKey, tenantId: string): Promise<S | null> {
    const item = await this.#get(model, key, false);
    if (item === undefined || item.state === undefined) return null;
    const read = new ItemReader(item, `${model}:${key.pk}`);
    if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
    return read.map('state') as S;
  }

  async #get(
    model: ReadModelName,
    key: RowKey,
    consistent: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const table = await this.tableOf(model);
    const { Item } = await this.#client
      .send(new GetItemCommand({ TableName: table, Key: marshall(key), ConsistentRead: consistent }))
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`GetItem of ${model}:${key.pk} failed`, { cause: error });
      });
    return Item === undefined ? undefined : unmarshall(Item);
  }
}

/** Which slot serves, and since which switch (a generation: guards cached before it are forgotten). */
interface Pointer {
  readonly slot: Slot;
  readonly generation: string;
}

async function readPointerItem(
  client: DynamoDBClient,
  pointersTable: string,
  model: string,
): Promise<Pointer> {
  const { Item } = await client
    .send(new GetItemCommand({ TableName: pointersTable, Key: { pk: { S: model } }, ConsistentRead: true }))
    .catch((error: unknown) => {
      throw new DynamoDbAdapterError(`GetItem of the ${model} pointer failed`, { cause: error });
    });
  return {
    slot: Item?.active?.S === 'green' ? 'green' : 'blue',
    generation: Item?.switchedAt?.S ?? 'initial',
  };
}

/** The slot the pointers table names for `model`; blue when there is no pointer yet. */
export async function readPointer(
  client: DynamoDBClient,
  pointersTable: string,
  model: string,
): Promise<Slot> {
  return (await readPointerItem(client, pointersTable, model)).slot;
}

/** Points `model` at `slot`: the switch that makes a rebuilt table serve, no deploy needed. */
export async function writePointer(
  client: DynamoDBClient,
  pointersTable: string,
  model: string,
  slot: Slot,
  switchedAt: string,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: pointersTable,
      Item: marshall({ pk: model, active: slot, switchedAt }),
    }),
  );
}

/** The guard's Put, conditional on the version it moves from. */
function guardItem<S>(table: string, commit: GuardedCommit<S>): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: marshall(
        {
          ...commit.attributes,
          ...commit.key,
          tenantId: commit.tenantId,
          version: commit.next.version,
          ...(commit.next.state === null ? {} : { state: commit.next.state }),
        },
        { removeUndefinedValues: true },
      ),
      ...guardCondition(commit.expectedVersion),
    },
  };
}

/** Two `add` changes to one row as one: counters summed, sets joined. */
function sumAdds(
  a: Extract<RowChange, { kind: 'add' }>,
  b: Extract<RowChange, { kind: 'add' }>,
): Extract<RowChange, { kind: 'add' }> {
  const add: Record<string, number | readonly string[]> = { ...a.add };
  for (const [name, value] of Object.entries(b.add)) {
    const current = add[name];
    if (typeof value === 'number') add[name] = (typeof current === 'number' ? current : 0) + value;
    else add[name] = [...new Set([...((current as readonly string[] | undefined) ?? []), ...value])];
  }
  return { kind: 'add', key: a.key, set: { ...a.set, ...b.set }, add };
}

function guardCondition(expectedVersion: number): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (expectedVersion === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: 'version = :expected',
    ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
  };
}

function changeItem(table: string, change: RowChange): TransactWriteItem {
  if (change.kind === 'put') {
    return {
      Put: {
        TableName: table,
        Item: marshall({ ...change.row, ...change.key }, { removeUndefinedValues: true }),
      },
    };
  }
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const adds: string[] = [];
  let n = 0;
  for (const [name, value] of Object.entries(change.set)) {
    names[`#n${n}`] = name;
    values[`:v${n}`] = { S: value };
    sets.push(`#n${n} = :v${n}`);
    n++;
  }
  for (const [name, value] of Object.entries(change.add)) {
    names[`#n${n}`] = name;
    values[`:v${n}`] = typeof value === 'number' ? { N: String(value) } : { SS: [...value] };
    adds.push(`#n${n} :v${n}`);
    n++;
  }
  const update: Update = {
    TableName: table,
    Key: marshall(change.key),
    UpdateExpression: [
      sets.length ? `SET ${sets.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  return { Update: update };
}

function isTransactionConflict(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionConflictException';
}

function toPosting(item: Record<string, unknown>, tenantId: string): Posting {
  const read = new ItemReader(item, `account-history:${String(item.pk)}/${String(item.sk)}`);
  if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
  const type = read.string('type');
  const direction = read.string('direction');
  if (type !== 'TransferPosted' && type !== 'PendingTransferPosted')
    throw read.corrupt(`unknown type '${type}'`);
  if (direction !== 'debit' && direction !== 'credit') throw read.corrupt(`unknown direction '${direction}'`);
  return {
    accountId: read.string('accountId'),
    transferId: read.string('transferId'),
    postedAt: read.string('postedAt'),
    type,
    direction,
    amount: read.integer('amount'),
    currency: read.string('currency'),
    counterpartyAccountId: read.string('counterpartyAccountId'),
    postedBalanceAfter: read.integer('postedBalanceAfter'),
    accountVersion: read.integer('accountVersion'),
  };
}
