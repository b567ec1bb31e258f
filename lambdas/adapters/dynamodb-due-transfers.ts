import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DuePage, type DueTransfers, expiryShardKey } from '../domain/expiry.ts';
import { TRANSFER_VIEW_INDEXES } from '../domain/projections/transfer-view.ts';
import { DynamoDbAdapterError, ItemReader } from './dynamodb-errors.ts';

const INDEX = TRANSFER_VIEW_INDEXES.byExpiry;

export interface DynamoDbDueTransfersOptions {
  readonly client: DynamoDBClient;
  /** The transfer view table serving now (the blue/green pointer), whose `by-expiry` GSI is read. */
  readonly table: () => Promise<string>;
}

/**
 * Due transfers from the transfer view's sparse `by-expiry` GSI: one Query per page on one shard's
 * partition, `expiresAt <= dueBy`, ascending. The cursor is the page's LastEvaluatedKey, opaque.
 */
export class DynamoDbDueTransfers implements DueTransfers {
  readonly #client: DynamoDBClient;
  readonly #table: () => Promise<string>;

  constructor(options: DynamoDbDueTransfersOptions) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async page(shard: number, dueBy: Date, cursor: string | null, limit: number): Promise<DuePage> {
    const partition = expiryShardKey(shard);
    const page = await this.#client
      .send(
        new QueryCommand({
          TableName: await this.#table(),
          IndexName: INDEX.name,
          KeyConditionExpression: '#p = :p AND #s <= :due',
          ExpressionAttributeNames: { '#p': INDEX.partitionKey, '#s': INDEX.sortKey },
          ExpressionAttributeValues: { ':p': { S: partition }, ':due': { S: dueBy.toISOString() } },
          Limit: limit,
          ...(cursor === null ? {} : { ExclusiveStartKey: decodeCursor(cursor) }),
        }),
      )
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`Query of the due transfers of ${partition} failed`, { cause: error });
      });
    const transfers = (page.Items ?? []).map((item) => {
      const read = new ItemReader(unmarshall(item), `transfer-view/${INDEX.name}:${partition}`);
      return {
        tenantId: read.string('tenantId'),
        transferId: read.string('transferId'),
        expiresAt: read.string(INDEX.sortKey),
      };
    });
    return { transfers, cursor: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : null };
  }
}

function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, AttributeValue> {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, AttributeValue>;
}
