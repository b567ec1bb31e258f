import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type StreamRef, streamKey } from '../domain/events.ts';
import type { Snapshot, SnapshotStore } from '../domain/ports.ts';
import { DynamoDbAdapterError, ItemReader, isConditionFailed } from './dynamodb-errors.ts';

/** Keeps the newest snapshot: an older (slower or retried) writer never replaces a newer one. */
export const NEWER_SNAPSHOT_CONDITION = 'attribute_not_exists(pk) OR version < :version';

export interface DynamoDbSnapshotStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * Snapshots on their own DynamoDB table. Table key schema: partition key `pk` (S) = `streamKey(stream)`,
 * sort key `reducerVersion` (N); one item per stream and reducer version, overwritten by newer snapshots.
 */
export class DynamoDbSnapshotStore implements SnapshotStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbSnapshotStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get<S>(stream: StreamRef, reducerVersion: number): Promise<Snapshot<S> | null> {
    const pk = streamKey(stream);
    // Eventually consistent on purpose: a stale snapshot is still a correct one, since the load
    // reads every later event with ConsistentRead.
    const command = new GetItemCommand({
      TableName: this.#tableName,
      Key: { pk: { S: pk }, reducerVersion: { N: String(reducerVersion) } },
      ReturnConsumedCapacity: 'TOTAL',
    });
    const { Item } = await this.#client.send(command).catch((error: unknown) => {
      throw new DynamoDbAdapterError(`GetItem of the ${pk} snapshot failed`, { cause: error });
    });
    if (Item === undefined) return null;
    const read = new ItemReader(unmarshall(Item), `${pk}#r${reducerVersion}`);
    if (read.string('tenantId') !== stream.tenantId) throw read.corrupt('tenantId is not the stream tenant');
    // The reducer version in the key is what vouches for the state's shape.
    return { stream, version: read.integer('version'), reducerVersion, state: read.present('state') as S };
  }

  async put<S>(snapshot: Snapshot<S>): Promise<void> {
    const { stream, version, reducerVersion, state } = snapshot;
    const item = {
      pk: streamKey(stream),
      reducerVersion,
      version,
      tenantId: stream.tenantId,
      streamType: stream.type,
      streamId: stream.id,
      state,
    };
    const command = new PutItemCommand({
      TableName: this.#tableName,
      Item: marshall(item, { removeUndefinedValues: true }),
      ConditionExpression: NEWER_SNAPSHOT_CONDITION,
      ExpressionAttributeValues: { ':version': { N: String(version) } },
      ReturnConsumedCapacity: 'TOTAL',
    });
    try {
      await this.#client.send(command);
    } catch (error) {
      // A snapshot at this version or a newer one is already there: nothing to do.
      if (isConditionFailed(error)) return;
      throw new DynamoDbAdapterError(`PutItem of the ${item.pk} snapshot failed`, { cause: error });
    }
  }
}
