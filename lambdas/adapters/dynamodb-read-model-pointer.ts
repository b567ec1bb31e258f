import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ReadModelName } from '../domain/projections/read-model.ts';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

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

/** Which slot serves, and since which switch (a generation: guards cached before it are forgotten). */
export interface Pointer {
  readonly slot: Slot;
  readonly generation: string;
}

export interface PointerCacheOptions {
  readonly client: DynamoDBClient;
  /** Holds one pointer item per model: `{ pk: model, active: 'blue' | 'green', switchedAt }` (blue when absent). */
  readonly pointersTable: string;
  /** How long a pointer read is trusted. */
  readonly ttlMs: number;
  /** These slots regardless of the pointers (the rebuild's fresh table). */
  readonly pinned: Partial<Readonly<Record<ReadModelName, Slot>>>;
  readonly now: () => number;
}

/** The pointers, each read again once it is `ttlMs` old, so that a switch reaches every reader. */
export class PointerCache {
  readonly #options: PointerCacheOptions;
  readonly #pointers = new Map<ReadModelName, { pointer: Pointer; until: number }>();

  constructor(options: PointerCacheOptions) {
    this.#options = options;
  }

  /** The pointer of `model`: the pinned slot, else the pointer item (cached). */
  async pointer(model: ReadModelName): Promise<Pointer> {
    const { client, pointersTable, ttlMs, pinned, now } = this.#options;
    const slot = pinned[model];
    if (slot) return { slot, generation: 'pinned' };
    const cached = this.#pointers.get(model);
    if (cached && cached.until > now()) return cached.pointer;
    const pointer = await readPointerItem(client, pointersTable, model);
    this.#pointers.set(model, { pointer, until: now() + ttlMs });
    return pointer;
  }
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
  await client
    .send(
      new PutItemCommand({
        TableName: pointersTable,
        Item: marshall({ pk: model, active: slot, switchedAt }),
      }),
    )
    .catch((error: unknown) => {
      throw new DynamoDbAdapterError(`PutItem of the ${model} pointer failed`, { cause: error });
    });
}
