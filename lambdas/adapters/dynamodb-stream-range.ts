import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';

/** The batch a failed stream invocation covered, as the on-failure destination records it. */
export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
  readonly streamArn: string;
}

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

const TRIMMED = new Set([
  'TrimmedDataAccessException',
  'ResourceNotFoundException',
  'ExpiredIteratorException',
]);

/**
 * Reads the records of `info` again from the stream (AT_SEQUENCE_NUMBER start … end), as the
 * Lambda records they were delivered as. Null when the stream no longer holds them (trimmed after
 * 24 h, or the shard is gone): the caller then goes to the event store.
 */
export async function readStreamRange(
  client: DynamoDBStreamsClient,
  info: StreamBatchInfo,
): Promise<DynamoDBRecord[] | null> {
  const start = BigInt(info.startSequenceNumber);
  const end = BigInt(info.endSequenceNumber);
  const records: DynamoDBRecord[] = [];
  try {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamArn: info.streamArn,
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: info.startSequenceNumber,
      }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const fetched: _Record[] = page.Records ?? [];
      for (const record of fetched) {
        const sequence = BigInt(record.dynamodb?.SequenceNumber ?? '0');
        if (sequence > end) return records;
        if (sequence >= start) {
          records.push({ ...(lambdaShape(record) as DynamoDBRecord), eventSourceARN: info.streamArn });
        }
      }
      // An open shard answers an empty page at its end; a closed one ends the iterator.
      if (fetched.length === 0) break;
      iterator = page.NextShardIterator;
    }
  } catch (error) {
    if (error instanceof Error && TRIMMED.has(error.name)) return null;
    throw error;
  }
  return records.length > 0 ? records : null;
}
