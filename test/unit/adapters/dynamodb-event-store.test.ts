import {
  type CancellationReason,
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactionConflictException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CorruptItemError, DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { ConcurrencyConflictError } from '../../../lambdas/domain/errors.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';
import type { NewEvent, StreamWrite } from '../../../lambdas/domain/ports.ts';
import accountOpenedV1 from '../../fixtures/events/account-opened-v1.json' with { type: 'json' };
import transferPosted from '../../fixtures/events/transfer-posted.json' with { type: 'json' };

const TABLE = 'events';
const TENANT = 'tenant_1';
const ddbMock = mockClient(DynamoDBClient);
const store = new DynamoDbEventStore({ client: new DynamoDBClient({}), tableName: TABLE });

const account = (id: string): StreamRef => ({ type: 'account', tenantId: TENANT, id });
const transfer = (id: string): StreamRef => ({ type: 'transfer', tenantId: TENANT, id });

const envelope = {
  schemaVersion: 1,
  occurredAt: '2024-03-02T10:00:00.000Z',
  tenantId: TENANT,
  correlationId: 'req_9',
  causationId: 'req_9',
  actor: 'key_1',
};

function frozen(eventId: string, accountId = 'acct_1'): NewEvent {
  return { ...envelope, eventId, type: 'AccountFrozen', payload: { accountId, reason: 'kyc' } };
}

function posted(eventId: string): NewEvent {
  return {
    ...envelope,
    eventId,
    type: 'TransferPosted',
    payload: {
      transferId: 'xfer_1',
      debitAccountId: 'acct_d',
      creditAccountId: 'acct_c',
      currency: 'USD',
      amount: 2500,
      purpose: 'transfer',
      reference: null,
    },
  };
}

/** A transfer: a new transfer stream (items 0), debit account at 5 (items 1–2), credit account at 7 (items 3–4). */
const transferWrites: StreamWrite[] = [
  { stream: transfer('xfer_1'), expectedVersion: 0, events: [posted('evt_t')] },
  { stream: account('acct_d'), expectedVersion: 5, events: [posted('evt_d')] },
  { stream: account('acct_c'), expectedVersion: 7, events: [posted('evt_c')] },
];

function cancelled(codes: readonly string[]): TransactionCanceledException {
  const reasons: CancellationReason[] = codes.map((Code) => ({ Code }));
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  ddbMock.reset();
});

describe('DynamoDbEventStore.append to one stream', () => {
  it('puts the first event of a new stream as a lean item, only if the version slot is free', async () => {
    ddbMock.on(PutItemCommand).resolves({});

    await store.append([{ stream: account('acct_1'), expectedVersion: 0, events: [frozen('evt_1')] }]);

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(version)',
      ReturnConsumedCapacity: 'TOTAL',
      // Only what the key does not say; schemaVersion 1 and causationId = correlationId are defaults.
      Item: {
        pk: { S: 'account#tenant_1#acct_1' },
        version: { N: '1' },
        type: { S: 'AccountFrozen' },
        e: { S: 'evt_1' },
        o: { N: String(Date.parse('2024-03-02T10:00:00.000Z')) },
        c: { S: 'req_9' },
        a: { S: 'key_1' },
        // Common payload fields by their short codes.
        p: { M: { I: { S: 'acct_1' }, N: { S: 'kyc' } } },
        // The event's link in the stream's hash chain (test/unit/adapters/audit-chain.test.ts).
        h: { B: expect.any(Uint8Array) },
      },
    });
    expect(ddbMock).not.toHaveReceivedCommand(TransactWriteItemsCommand);
  });

  it('writes a single event after an existing one in a transaction that checks that one exists (no gap)', async () => {
    ddbMock.on(TransactWriteItemsCommand).resolves({});

    await store.append([{ stream: account('acct_1'), expectedVersion: 3, events: [frozen('evt_4')] }]);

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(TransactWriteItemsCommand, {
      ReturnConsumedCapacity: 'TOTAL',
      TransactItems: [
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { pk: { S: 'account#tenant_1#acct_1' }, version: { N: '3' } },
            ConditionExpression: 'attribute_exists(version)',
          },
        },
        {
          Put: {
            TableName: TABLE,
            ConditionExpression: 'attribute_not_exists(version)',
            Item: expect.objectContaining({ version: { N: '4' }, e: { S: 'evt_4' } }),
          },
        },
      ],
    });
    expect(ddbMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('stores the envelope fields that differ from their defaults', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const event = {
      ...frozen('evt_1'),
      schemaVersion: 2,
      causationId: 'evt_0',
      occurredAt: '2024-03-02T10:00Z',
    };

    await store.append([{ stream: account('acct_1'), expectedVersion: 0, events: [event] }]);

    expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        s: { N: '2' },
        k: { S: 'evt_0' },
        // Not the canonical ISO form: kept as written, so it reads back the same.
        o: { S: '2024-03-02T10:00Z' },
      }),
    });
  });

  it.each([
    ['a failed condition', new ConditionalCheckFailedException({ message: 'failed', $metadata: {} })],
    [
      'a transaction in flight on the item',
      new TransactionConflictException({ message: 'conflict', $metadata: {} }),
    ],
  ])('turns %s into a conflict naming the stream', async (_, sdkError) => {
    ddbMock.on(PutItemCommand).rejects(sdkError);

    const error = await rejection(
      store.append([{ stream: account('acct_1'), expectedVersion: 0, events: [frozen('evt_1')] }]),
    );

    expect(error).toBeInstanceOf(ConcurrencyConflictError);
    expect(error).toMatchObject({ streams: ['account#tenant_1#acct_1'], cause: sdkError });
  });

  it('rethrows any other failure as an adapter error with the SDK error as cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(PutItemCommand).rejects(sdkError);

    const error = await rejection(
      store.append([{ stream: account('acct_1'), expectedVersion: 0, events: [frozen('evt_1')] }]),
    );

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });

  it('writes several events of one stream in one transaction that checks the previous version exists', async () => {
    ddbMock.on(TransactWriteItemsCommand).resolves({});

    await store.append([
      { stream: account('acct_1'), expectedVersion: 2, events: [frozen('evt_3'), frozen('evt_4')] },
    ]);

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(TransactWriteItemsCommand, {
      TransactItems: [
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { pk: { S: 'account#tenant_1#acct_1' }, version: { N: '2' } },
            ConditionExpression: 'attribute_exists(version)',
          },
        },
        {
          Put: {
            TableName: TABLE,
            ConditionExpression: 'attribute_not_exists(version)',
            Item: expect.objectContaining({ version: { N: '3' }, e: { S: 'evt_3' } }),
          },
        },
        {
          Put: {
            TableName: TABLE,
            ConditionExpression: 'attribute_not_exists(version)',
            Item: expect.objectContaining({ version: { N: '4' }, e: { S: 'evt_4' } }),
          },
        },
      ],
    });
    expect(ddbMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('asserts the version of a stream it writes no event to', async () => {
    ddbMock.on(TransactWriteItemsCommand).resolves({});

    await store.append([{ stream: account('acct_1'), expectedVersion: 2, events: [] }]);

    expect(ddbMock).toHaveReceivedCommandWith(TransactWriteItemsCommand, {
      TransactItems: [
        expect.objectContaining({
          ConditionCheck: expect.objectContaining({ Key: expect.objectContaining({ version: { N: '2' } }) }),
        }),
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { pk: { S: 'account#tenant_1#acct_1' }, version: { N: '3' } },
            ConditionExpression: 'attribute_not_exists(version)',
          },
        },
      ],
    });
  });

  it('does nothing for no writes', async () => {
    await store.append([]);

    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects an event whose tenant is not its stream tenant, before writing', async () => {
    const foreign = { ...frozen('evt_1'), tenantId: 'tenant_2' };

    await expect(
      store.append([{ stream: account('acct_1'), expectedVersion: 0, events: [foreign] }]),
    ).rejects.toThrow(/another tenant/);
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects two writes to the same stream, before writing', async () => {
    const write: StreamWrite = { stream: account('acct_1'), expectedVersion: 0, events: [frozen('evt_1')] };

    await expect(store.append([write, { ...write, expectedVersion: 1 }])).rejects.toThrow(/once/);
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });
});

describe('DynamoDbEventStore.append to several streams', () => {
  it('writes all streams in one transaction, checking each existing stream is at its expected version', async () => {
    ddbMock.on(TransactWriteItemsCommand).resolves({});

    await store.append(transferWrites);

    const check = (pk: string, version: string) => ({
      ConditionCheck: {
        TableName: TABLE,
        Key: { pk: { S: pk }, version: { N: version } },
        ConditionExpression: 'attribute_exists(version)',
      },
    });
    const put = (pk: string, version: string) => ({
      Put: {
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(version)',
        Item: expect.objectContaining({ pk: { S: pk }, version: { N: version } }),
      },
    });
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(TransactWriteItemsCommand, {
      TransactItems: [
        put('transfer#tenant_1#xfer_1', '1'),
        check('account#tenant_1#acct_d', '5'),
        put('account#tenant_1#acct_d', '6'),
        check('account#tenant_1#acct_c', '7'),
        put('account#tenant_1#acct_c', '8'),
      ],
    });
  });

  it.each([
    [
      'the credit account moved on',
      ['None', 'None', 'None', 'ConditionalCheckFailed', 'None'],
      ['account#tenant_1#acct_c'],
    ],
    [
      'the debit account got a new event',
      ['None', 'None', 'ConditionalCheckFailed', 'None', 'None'],
      ['account#tenant_1#acct_d'],
    ],
    [
      'the transfer exists and the debit account moved',
      ['ConditionalCheckFailed', 'ConditionalCheckFailed', 'None', 'None', 'None'],
      ['transfer#tenant_1#xfer_1', 'account#tenant_1#acct_d'],
    ],
    [
      'another transaction holds the debit account',
      ['None', 'TransactionConflict', 'None', 'None', 'None'],
      ['account#tenant_1#acct_d'],
    ],
  ])('names exactly the streams that conflicted when %s', async (_, codes, streams) => {
    const sdkError = cancelled(codes);
    ddbMock.on(TransactWriteItemsCommand).rejects(sdkError);

    const error = await rejection(store.append(transferWrites));

    expect(error).toBeInstanceOf(ConcurrencyConflictError);
    expect(error).toMatchObject({ streams, cause: sdkError });
  });

  it('rethrows a cancellation for another reason (throttling) as an adapter error with cause', async () => {
    const sdkError = cancelled(['None', 'ThrottlingError', 'None', 'None', 'None']);
    ddbMock.on(TransactWriteItemsCommand).rejects(sdkError);

    const error = await rejection(store.append(transferWrites));

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });

  it('rethrows any other failure as an adapter error with cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(TransactWriteItemsCommand).rejects(sdkError);

    const error = await rejection(store.append(transferWrites));

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });

  it('accepts exactly 100 transaction items and rejects 101 without writing', async () => {
    ddbMock.on(TransactWriteItemsCommand).resolves({});
    const events = (count: number) => Array.from({ length: count }, (_, i) => frozen(`evt_${i}`));

    // One version check plus 99 puts is DynamoDB's limit of 100.
    await store.append([{ stream: account('acct_1'), expectedVersion: 1, events: events(99) }]);
    expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 1);

    await expect(
      store.append([{ stream: account('acct_1'), expectedVersion: 1, events: events(100) }]),
    ).rejects.toThrow(/at most 100 items; this one needs 101/);
    expect(ddbMock).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 1);
  });
});

describe('DynamoDbEventStore.readStream', () => {
  it('reads consistently from version 1 by default', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    await store.readStream(account('acct_1'));

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND version >= :from',
      ExpressionAttributeValues: { ':pk': { S: 'account#tenant_1#acct_1' }, ':from': { N: '1' } },
      ConsistentRead: true,
      ScanIndexForward: true,
      ReturnConsumedCapacity: 'TOTAL',
    });
  });

  it('reads only the events from the given version on', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    await store.readStream(account('acct_1'), 201);

    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':pk': { S: 'account#tenant_1#acct_1' }, ':from': { N: '201' } },
    });
  });

  it('follows LastEvaluatedKey across pages and returns the events in order', async () => {
    const lastKey = { pk: accountOpenedV1.pk, version: accountOpenedV1.version };
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [accountOpenedV1], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [transferPosted] });
    const paged = new DynamoDbEventStore({ client: new DynamoDBClient({}), tableName: TABLE, pageSize: 1 });

    const events = await paged.readStream(account('acct_1'));

    expect(events.map((event) => event.version)).toEqual([1, 2]);
    expect(ddbMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 1, { Limit: 1, ExclusiveStartKey: undefined });
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { Limit: 1, ExclusiveStartKey: lastKey });
  });

  it('upcasts a schemaVersion 1 AccountOpened and returns it with its envelope, stream and version', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [accountOpenedV1, transferPosted] });

    const [opened, deposit] = await store.readStream(account('acct_1'));

    expect(opened).toEqual({
      type: 'AccountOpened',
      payload: {
        accountId: 'acct_1',
        currency: 'USD',
        kind: 'customer',
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
      },
      eventId: 'evt_1',
      schemaVersion: 2,
      occurredAt: '2024-03-01T09:00:00.000Z',
      tenantId: TENANT,
      correlationId: 'req_1',
      causationId: 'req_1',
      actor: 'key_1',
      stream: account('acct_1'),
      version: 1,
    });
    expect(deposit).toMatchObject({
      type: 'TransferPosted',
      version: 2,
      payload: { amount: 2500, reference: null },
    });
  });

  it('refuses an item of another tenant', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [{ ...transferPosted, tenantId: { S: 'tenant_2' } }] });

    await expect(store.readStream(account('acct_1'))).rejects.toThrow(CorruptItemError);
  });

  it('refuses an item without a payload map', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [{ ...transferPosted, payload: { S: '{}' } }] });

    await expect(store.readStream(account('acct_1'))).rejects.toThrow(/'payload' is not a map/);
  });

  it('rethrows a failed query as an adapter error with cause', async () => {
    const sdkError = new InternalServerError({ message: 'boom', $metadata: {} });
    ddbMock.on(QueryCommand).rejects(sdkError);

    const error = await rejection(store.readStream(account('acct_1')));

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect(error).toMatchObject({ cause: sdkError });
  });
});
