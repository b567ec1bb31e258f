import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CorruptItemError, DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { DynamoDbSnapshotStore } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';

const TABLE = 'snapshots';
const ddbMock = mockClient(DynamoDBClient);
const store = new DynamoDbSnapshotStore({ client: new DynamoDBClient({}), tableName: TABLE });
const stream: StreamRef = { type: 'account', tenantId: 'tenant_1', id: 'acct_1' };
const state = {
  id: 'acct_1',
  currency: 'USD',
  creditsPosted: 2500,
  flags: { debitsMustNotExceedCredits: true },
};

/** The stored item of a snapshot of `stream` at version 300 by reducer version 1. */
const item = {
  pk: { S: 'account#tenant_1#acct_1' },
  reducerVersion: { N: '1' },
  version: { N: '300' },
  tenantId: { S: 'tenant_1' },
  streamType: { S: 'account' },
  streamId: { S: 'acct_1' },
  state: {
    M: {
      id: { S: 'acct_1' },
      currency: { S: 'USD' },
      creditsPosted: { N: '2500' },
      flags: { M: { debitsMustNotExceedCredits: { BOOL: true } } },
    },
  },
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  ddbMock.reset();
});

describe('DynamoDbSnapshotStore.get', () => {
  it('reads the snapshot of the stream and reducer version with one GetItem', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: item });

    const snapshot = await store.get(stream, 1);

    expect(snapshot).toEqual({ stream, version: 300, reducerVersion: 1, state });
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: 'account#tenant_1#acct_1' }, reducerVersion: { N: '1' } },
    });
  });

  it("ignores another reducer version's snapshot", async () => {
    ddbMock.on(GetItemCommand).resolves({});
    ddbMock.on(GetItemCommand, { Key: { pk: item.pk, reducerVersion: { N: '1' } } }).resolves({ Item: item });

    expect(await store.get(stream, 2)).toBeNull();
  });

  it('refuses a snapshot of another tenant', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: { ...item, tenantId: { S: 'tenant_2' } } });

    await expect(store.get(stream, 1)).rejects.toThrow(CorruptItemError);
  });

  it('rethrows a failed read as an adapter error with cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(GetItemCommand).rejects(sdkError);

    const error = await rejection(store.get(stream, 1));

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });
});

describe('DynamoDbSnapshotStore.put', () => {
  it('writes the state as a map, only over an older snapshot', async () => {
    ddbMock.on(PutItemCommand).resolves({});

    await store.put({ stream, version: 300, reducerVersion: 1, state });

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: TABLE,
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk) OR version < :version',
      ExpressionAttributeValues: { ':version': { N: '300' } },
    });
  });

  it('keeps quiet when a snapshot as new or newer is already stored', async () => {
    ddbMock
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    await expect(store.put({ stream, version: 200, reducerVersion: 1, state })).resolves.toBeUndefined();
  });

  it('rethrows any other failure as an adapter error with cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(PutItemCommand).rejects(sdkError);

    const error = await rejection(store.put({ stream, version: 200, reducerVersion: 1, state }));

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });
});
