import {
  type DynamoDBClient,
  PutItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  type Guard,
  type GuardedCommit,
  GuardMovedError,
  type ReadModelName,
  type ReadModelStore,
  type RowChange,
  type RowKey,
} from '../domain/projections/read-model.ts';
import { batchWrite, type TableWrite } from './dynamodb-batch-write.ts';
import { DynamoDbAdapterError, ItemReader, isWriteConflict } from './dynamodb-errors.ts';
import { MAX_TRANSACTION_ITEMS } from './dynamodb-event-store.ts';
import { GuardCache } from './dynamodb-guard-cache.ts';
import { changeItem, guardItem, sumAdds } from './dynamodb-read-model-items.ts';
import { PointerCache, type Slot, type SlotTables } from './dynamodb-read-model-pointer.ts';
import { DynamoDbReadModelQueries } from './dynamodb-read-model-queries.ts';

/** The pointer's types, where code that builds a DynamoDbReadModels has always found them. */
export type { Slot, SlotTables } from './dynamodb-read-model-pointer.ts';

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

/** A counter row's `add` change, summed over the commits of one transaction. */
type AddChange = Extract<RowChange, { kind: 'add' }>;

/**
 * The read models on DynamoDB. A guard item holds `version` (the last applied stream version) and
 * `state`; commits are conditional on `version` (or on the item's absence for version 0). Which of a
 * model's two tables serves is read from the pointers table and cached for a few seconds.
 */
export class DynamoDbReadModels extends DynamoDbReadModelQueries implements ReadModelStore {
  readonly #tables: Partial<Readonly<Record<ReadModelName, SlotTables>>>;
  readonly #pointers: PointerCache;
  readonly #guards: GuardCache;

  constructor(options: DynamoDbReadModelsOptions) {
    super(options.client);
    this.#tables = options.tables;
    this.#pointers = new PointerCache({
      client: options.client,
      pointersTable: options.pointersTable,
      ttlMs: options.pointerTtlMs ?? DEFAULT_POINTER_TTL_MS,
      pinned: options.pinned ?? {},
      now: options.now ?? Date.now,
    });
    this.#guards = new GuardCache(options.guardCacheSize ?? 0);
  }

  /** The slot serving `model` now (the pinned one, else the pointer, cached). */
  async activeSlot(model: ReadModelName): Promise<Slot> {
    return (await this.#pointers.pointer(model)).slot;
  }

  /** The table serving `model` now. */
  async tableOf(model: ReadModelName): Promise<string> {
    const tables = this.#tables[model];
    if (!tables) throw new Error(`No tables configured for the ${model} read model`);
    return tables[await this.activeSlot(model)];
  }

  async #cacheKey(model: ReadModelName, key: RowKey): Promise<string> {
    const pointer = await this.#pointers.pointer(model);
    return GuardCache.key(await this.tableOf(model), pointer.generation, key.pk, key.sk);
  }

  async readGuard<S>(model: ReadModelName, key: RowKey, tenantId: string): Promise<Guard<S>> {
    const cacheKey = await this.#cacheKey(model, key);
    const cached = this.#guards.get<S>(cacheKey);
    if (cached) return cached;
    const item = await this.getItem(model, key, true);
    if (item === undefined) return { version: 0, state: null };
    const read = new ItemReader(item, `${model}:${key.pk}`);
    if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the stream tenant');
    const guard = { version: read.integer('version'), state: (item.state ?? null) as S | null };
    this.#guards.remember(cacheKey, guard);
    return guard;
  }

  async commit<S>(commit: GuardedCommit<S>): Promise<void> {
    const cacheKey = await this.#cacheKey(commit.model, commit.key);
    try {
      await this.#commit(commit);
      this.#guards.remember(cacheKey, commit.next);
    } catch (error) {
      this.#guards.forget(cacheKey);
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
    const rowId = (commit: GuardedCommit<unknown>, key: RowKey) =>
      `${tableOf(commit)}|${key.pk}|${key.sk ?? ''}`;
    // Rows first, as in commit(): deterministic and idempotent, 25 to a BatchWriteItem.
    const rows = new Map<string, TableWrite>();
    for (const commit of commits) {
      for (const change of commit.changes) {
        if (change.kind !== 'put') continue;
        const Item = marshall({ ...change.row, ...change.key }, { removeUndefinedValues: true });
        rows.set(rowId(commit, change.key), { table: tableOf(commit), request: { PutRequest: { Item } } });
      }
    }
    await batchWrite(this.client, [...rows.values()], 'read-model rows');
    // Guards and counters in transactions of at most 100 items; a transaction adds each counter row
    // once, summed over its commits (DynamoDB refuses two operations on one item in a transaction).
    const rejected: GuardedCommit<unknown>[] = [];
    let chunk: GuardedCommit<unknown>[] = [];
    let counters = new Map<string, { table: string; change: AddChange }>();
    const flush = async () => {
      if (chunk.length === 0) return;
      const items: TransactWriteItem[] = [
        ...chunk.map((commit) => guardItem(tableOf(commit), commit)),
        ...[...counters.values()].map(({ table, change }) => changeItem(table, change)),
      ];
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        for (const commit of chunk)
          this.#guards.remember(await this.#cacheKey(commit.model, commit.key), commit.next);
      } catch {
        // Whatever the cause, nothing of this transaction applied: the caller redoes these one by one.
        for (const commit of chunk) this.#guards.forget(await this.#cacheKey(commit.model, commit.key));
        rejected.push(...chunk);
      }
      chunk = [];
      counters = new Map();
    };
    for (const commit of commits) {
      const adds = commit.changes.filter((c): c is AddChange => c.kind === 'add');
      const fresh = adds.filter((c) => !counters.has(rowId(commit, c.key))).length;
      if (chunk.length + counters.size + 1 + fresh > MAX_TRANSACTION_ITEMS) await flush();
      chunk.push(commit);
      for (const add of adds) {
        const id = rowId(commit, add.key);
        const known = counters.get(id);
        counters.set(id, { table: tableOf(commit), change: known ? sumAdds(known.change, add) : add });
      }
    }
    await flush();
    return rejected;
  }

  async #commit<S>(commit: GuardedCommit<S>): Promise<void> {
    const table = await this.tableOf(commit.model);
    // Puts are deterministic (the same event on the same guard state gives the same row) and
    // idempotent, so they go first, outside the transaction: a retry or a rival rewrites the same
    // bytes. Only the guard and the counters (ADD is not idempotent) must move together.
    for (const change of commit.changes) {
      if (change.kind !== 'put') continue;
      await this.client
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
        await this.client.send(new PutItemCommand(guard.Put as NonNullable<TransactWriteItem['Put']>));
      } else {
        const items = [guard, ...together.map((change) => changeItem(table, change))];
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      }
    } catch (error) {
      // Our guard failed its condition, or another transaction held one of the items: both mean
      // "read the guard again and decide again".
      if (isWriteConflict(error)) throw new GuardMovedError(commit.model, commit.key, { cause: error });
      throw new DynamoDbAdapterError(`Commit of ${where} failed`, { cause: error });
    }
  }
}
