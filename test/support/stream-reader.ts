import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';

/** JSON-shaped values as Lambda delivers them: dates as epoch seconds, binary as base64. */
function lambdaShape(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map(lambdaShape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lambdaShape(v)]));
  }
  return value;
}

/** An SDK stream record in the shape a Lambda stream event carries. */
export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  return { ...(lambdaShape(record) as DynamoDBRecord), eventSourceARN: streamArn, awsRegion: 'us-east-1' };
}

/**
 * Reads a table's stream on DynamoDB Local, remembering where each shard was left, so each call
 * returns the records written since the last one (what a stream event source mapping would deliver).
 */
export class StreamReader {
  readonly #streams: DynamoDBStreamsClient;
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #after = new Map<string, string>();
  readonly #shards = new Map<string, string>();

  constructor(client: DynamoDBClient, endpoint: string, table: string) {
    this.#client = client;
    this.#table = table;
    this.#streams = new DynamoDBStreamsClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  async streamArn(): Promise<string> {
    const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: this.#table }));
    if (!Table?.LatestStreamArn) throw new Error(`${this.#table} has no stream`);
    return Table.LatestStreamArn;
  }

  /** Every record written since the previous call, in shard order. */
  async next(): Promise<DynamoDBRecord[]> {
    const arn = await this.streamArn();
    const { StreamDescription } = await this.#streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId ?? '';
      const after = this.#after.get(shardId);
      let { ShardIterator: iterator } = await this.#streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shardId,
          ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
          ...(after ? { SequenceNumber: after } : {}),
        }),
      );
      while (iterator) {
        const page = await this.#streams.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
        );
        const fetched = page.Records ?? [];
        for (const record of fetched) {
          records.push(toLambdaRecord(record, arn));
          if (record.dynamodb?.SequenceNumber) this.#shards.set(record.dynamodb.SequenceNumber, shardId);
          if (record.dynamodb?.SequenceNumber) this.#after.set(shardId, record.dynamodb.SequenceNumber);
        }
        if (fetched.length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  }

  /** The shard a record read by {@link next} came from. */
  async shardOf(sequenceNumber: string): Promise<string> {
    const shard = this.#shards.get(sequenceNumber);
    if (!shard) throw new Error(`No record ${sequenceNumber} was read`);
    return shard;
  }

  destroy(): void {
    this.#streams.destroy();
  }
}
