import { DynamoDBClient, InternalServerError, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { type ScanPage, scanPages } from '../../../lambdas/adapters/dynamodb-scan.ts';

const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({});
const key = (pk: string) => ({ pk: { S: pk } });

async function all(pages: AsyncGenerator<ScanPage>): Promise<ScanPage[]> {
  const out: ScanPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

beforeEach(() => {
  ddbMock.reset();
});

describe('scanPages', () => {
  it('reads page after page until there is no LastEvaluatedKey, each page with its resume key', async () => {
    ddbMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [key('a'), key('b')], LastEvaluatedKey: key('b') })
      .resolvesOnce({ Items: [key('c')] });

    const pages = await all(scanPages(client, { TableName: 't', Limit: 2 }));

    expect(pages).toEqual([
      { items: [key('a'), key('b')], next: key('b') },
      { items: [key('c')], next: undefined },
    ]);
    const inputs = ddbMock.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { TableName: 't', Limit: 2, ExclusiveStartKey: undefined },
      { TableName: 't', Limit: 2, ExclusiveStartKey: key('b') },
    ]);
  });

  it('resumes after the checkpoint it is given', async () => {
    ddbMock.on(ScanCommand).resolves({ Items: [] });

    await all(scanPages(client, { TableName: 't', ExclusiveStartKey: key('m') }));

    expect(ddbMock).toHaveReceivedCommandWith(ScanCommand, { ExclusiveStartKey: key('m') });
  });

  it('reads no further page once the caller stops', async () => {
    ddbMock.on(ScanCommand).resolves({ Items: [key('a')], LastEvaluatedKey: key('a') });

    for await (const _ of scanPages(client, { TableName: 't' })) break;

    expect(ddbMock.commandCalls(ScanCommand)).toHaveLength(1);
  });

  it('wraps a failure in a DynamoDbAdapterError naming the table', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(ScanCommand).rejects(sdkError);

    const error = await all(scanPages(client, { TableName: 'events' })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect((error as Error).message).toBe('Scan of events failed');
    expect((error as Error).cause).toBe(sdkError);
  });
});
