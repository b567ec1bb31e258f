import {
  BatchWriteItemCommand,
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BATCH_WRITE_RETRY,
  batchWrite,
  type TableWrite,
} from '../../../lambdas/adapters/dynamodb-batch-write.ts';
import { DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';

const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({});
const put = (table: string, id: number): TableWrite => ({
  table,
  request: { PutRequest: { Item: { pk: { S: `row-${id}` } } } },
});
const noWait = async () => {};

beforeEach(() => {
  ddbMock.reset();
});

describe('batchWrite', () => {
  it('sends 25 requests to a BatchWriteItem, grouped by table', async () => {
    ddbMock.on(BatchWriteItemCommand).resolves({});
    const writes = [
      ...Array.from({ length: 20 }, (_, i) => put('a', i)),
      ...Array.from({ length: 10 }, (_, i) => put('b', i)),
    ];

    await batchWrite(client, writes, 'rows', noWait);

    const calls = ddbMock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems ?? {});
    expect(calls.map((items) => Object.values(items).flat().length)).toEqual([25, 5]);
    expect(Object.keys(calls[0] ?? {})).toEqual(['a', 'b']);
    expect(calls[1]?.b).toHaveLength(5);
  });

  it('sends nothing for no requests', async () => {
    await batchWrite(client, [], 'rows', noWait);

    expect(ddbMock).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it('retries only the unprocessed items, after a backoff no longer than the cap', async () => {
    const unprocessed: WriteRequest[] = [put('a', 3).request];
    ddbMock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { a: unprocessed } })
      .resolvesOnce({ UnprocessedItems: { a: [] } });
    const delays: number[] = [];

    await batchWrite(client, [put('a', 1), put('a', 2), put('a', 3)], 'rows', async (ms) => {
      delays.push(ms);
    });

    const calls = ddbMock.commandCalls(BatchWriteItemCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.RequestItems).toEqual({ a: unprocessed });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThan(BATCH_WRITE_RETRY.cap);
  });

  it(`gives up after ${BATCH_WRITE_RETRY.retries} retries of items DynamoDB keeps unprocessed`, async () => {
    ddbMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { a: [put('a', 1).request] } });

    const error = await batchWrite(client, [put('a', 1)], 'the rows of t', noWait).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect((error as Error).message).toMatch(/the rows of t left items unprocessed after 8 retries/);
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(BATCH_WRITE_RETRY.retries + 1);
  });

  it('wraps a failed call in a DynamoDbAdapterError with the SDK error as cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(BatchWriteItemCommand).rejects(sdkError);

    const error = await batchWrite(client, [put('a', 1)], 'rows', noWait).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect((error as Error).cause).toBe(sdkError);
  });

  it('does not retry a throttled call itself (the SDK already did)', async () => {
    ddbMock
      .on(BatchWriteItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(batchWrite(client, [put('a', 1)], 'rows', noWait)).rejects.toThrow(DynamoDbAdapterError);
    expect(ddbMock.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
  });
});
