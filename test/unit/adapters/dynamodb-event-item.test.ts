import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CorruptItemError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { storedEventFromItem, toItem } from '../../../lambdas/adapters/dynamodb-event-item.ts';
import { DynamoDbEventStore, READ_SEGMENT_VERSIONS } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';
import type { NewEvent } from '../../../lambdas/domain/ports.ts';
import transferPosted from '../../fixtures/events/transfer-posted.json' with { type: 'json' };

const TENANT = 'tenant_1';
const ddbMock = mockClient(DynamoDBClient);
const store = new DynamoDbEventStore({ client: new DynamoDBClient({}), tableName: 'events' });
const account: StreamRef = { type: 'account', tenantId: TENANT, id: 'acct_1' };

const deposit: NewEvent = {
  eventId: 'evt_01JD6Y2Q5V1Z9X8W7T6S5R4Q3P',
  schemaVersion: 1,
  occurredAt: '2024-03-01T09:05:00.000Z',
  tenantId: TENANT,
  correlationId: 'req_01JD6Y2Q5V1Z9X8W7T6S5R4Q3P',
  causationId: 'req_01JD6Y2Q5V1Z9X8W7T6S5R4Q3P',
  actor: 'api-key:key_1',
  type: 'TransferPosted',
  payload: {
    transferId: 'xfer_1',
    debitAccountId: 'acct_settlement',
    creditAccountId: 'acct_1',
    currency: 'USD',
    amount: 1,
    purpose: 'deposit',
    reference: null,
  },
};

const lean = (version: number, event: NewEvent = deposit) => toItem(account, version, event);

beforeEach(() => {
  ddbMock.reset();
});

describe('event items', () => {
  it('read back a lean item as the event that was written, stream and tenant parsed from the key', () => {
    const item = unmarshall(lean(2));

    expect(item).not.toHaveProperty('tenantId');
    expect(item).not.toHaveProperty('streamId');
    expect(storedEventFromItem(item)).toEqual({ ...deposit, stream: account, version: 2 });
    expect(storedEventFromItem(item, account)).toEqual({ ...deposit, stream: account, version: 2 });
  });

  it('read back the envelope fields that differ from their defaults', () => {
    const event = { ...deposit, causationId: 'evt_0', occurredAt: '2024-03-01T09:05Z' };

    expect(storedEventFromItem(unmarshall(lean(1, event)))).toMatchObject({
      causationId: 'evt_0',
      correlationId: deposit.correlationId,
      occurredAt: '2024-03-01T09:05Z',
    });
  });

  it('name common payload fields by short codes and keep any other field under its own name', () => {
    const opened: NewEvent = {
      ...deposit,
      type: 'AccountOpened',
      schemaVersion: 2,
      payload: {
        accountId: 'acct_1',
        currency: 'USD',
        kind: 'customer',
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
      },
    };
    const item = unmarshall(lean(1, opened));

    expect(item.p).toEqual({ I: 'acct_1', U: 'USD', K: 'customer', F: opened.payload.flags });
    expect(storedEventFromItem(item)).toMatchObject({ payload: opened.payload });
    const unknown = { ...deposit, payload: { ...deposit.payload, note: 'x' } };
    expect(storedEventFromItem(unmarshall(lean(1, unknown))).payload).toEqual(unknown.payload);
  });

  it('refuse a payload field named like a code, which would read back as another field', () => {
    const clash = { ...deposit, payload: { ...deposit.payload, T: 'x' } };

    expect(() => lean(1, clash)).toThrow(/reserved code/);
  });

  it('still read the first layout, with its tenant checked against the key', () => {
    const item = unmarshall(transferPosted);

    expect(storedEventFromItem(item, account)).toMatchObject({
      eventId: 'evt_2',
      stream: account,
      tenantId: TENANT,
      causationId: 'req_2',
      occurredAt: '2024-03-01T09:05:00.000Z',
    });
    expect(() => storedEventFromItem({ ...item, tenantId: 'tenant_2' })).toThrow(/tenantId is not/);
    expect(() => storedEventFromItem({ ...item, streamId: 'acct_2' })).toThrow(/pk is not/);
  });

  it("refuse an item read as another tenant's stream, in either layout", () => {
    const other: StreamRef = { ...account, tenantId: 'tenant_2' };

    expect(() => storedEventFromItem(unmarshall(lean(1)), other)).toThrow(CorruptItemError);
    expect(() => storedEventFromItem(unmarshall(transferPosted), other)).toThrow(/tenantId is not/);
  });

  it('refuse a key that names no stream type', () => {
    expect(() => storedEventFromItem({ ...unmarshall(lean(1)), pk: 'ledger#tenant_1#x' })).toThrow(
      /unknown streamType/,
    );
  });

  it('are at most 1.5× their logical content for a 1-unit deposit', () => {
    const size = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
    const { tenantId: _tenant, ...logical } = deposit;
    const item = lean(2);
    // DynamoDB's size: attribute names plus values (numbers about their digits).
    const bytes = (map: Record<string, unknown>): number =>
      Object.entries(map).reduce((sum, [name, value]) => sum + name.length + size(value), 0);

    expect(bytes(item)).toBeLessThanOrEqual(1.5 * size(logical));
  });
});

describe('DynamoDbEventStore.readNewest', () => {
  it('reads backwards from the head, consistently, at most the count, after the given version', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [lean(9), lean(8)] });

    const events = await store.readNewest(account, 2, 5);

    expect(events.map((event) => event.version)).toEqual([8, 9]);
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
      KeyConditionExpression: 'pk = :pk AND version >= :from',
      ExpressionAttributeValues: { ':pk': { S: 'account#tenant_1#acct_1' }, ':from': { N: '6' } },
      ConsistentRead: true,
      ScanIndexForward: false,
      Limit: 2,
    });
  });
});

describe('DynamoDbEventStore.readStream of a known range', () => {
  it('reads a range longer than a segment as parallel queries, one per segment, in order', async () => {
    const to = READ_SEGMENT_VERSIONS + 10;
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [lean(1)] })
      .resolvesOnce({ Items: [lean(READ_SEGMENT_VERSIONS + 1)] });

    const events = await store.readStream(account, 1, to);

    expect(ddbMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: {
        ':pk': { S: 'account#tenant_1#acct_1' },
        ':from': { N: String(READ_SEGMENT_VERSIONS + 1) },
        ':to': { N: String(to) },
      },
    });
    expect(events.map((event) => event.version)).toEqual([1, READ_SEGMENT_VERSIONS + 1]);
  });
});
