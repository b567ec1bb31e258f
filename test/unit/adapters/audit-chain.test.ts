import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { chainLinkOfItem, eventHash, sha256, toItem } from '../../../lambdas/adapters/dynamodb-event-item.ts';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { chainHash, GENESIS_HASH, sameBytes } from '../../../lambdas/domain/audit.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';
import type { NewEvent } from '../../../lambdas/domain/ports.ts';

const ddbMock = mockClient(DynamoDBClient);
const stream: StreamRef = { type: 'account', tenantId: 'tenant_1', id: 'acct_1' };
const newStore = () => new DynamoDbEventStore({ client: new DynamoDBClient({}), tableName: 'events' });

function frozen(eventId: string, reason = 'kyc'): NewEvent {
  return {
    schemaVersion: 1,
    occurredAt: '2024-03-02T10:00:00.000Z',
    tenantId: 'tenant_1',
    correlationId: 'req_9',
    causationId: 'evt_0',
    actor: 'key_1',
    eventId,
    type: 'AccountFrozen',
    payload: { accountId: 'acct_1', reason },
  };
}

/** The `h` of each Put the store sent, in order. */
function putHashes(): Uint8Array[] {
  const puts = ddbMock.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item);
  const transacted = ddbMock
    .commandCalls(TransactWriteItemsCommand)
    .flatMap((call) => (call.args[0].input as TransactWriteItemsCommandInput).TransactItems ?? [])
    .map((item) => item.Put?.Item);
  return [...puts, ...transacted].flatMap((item) => (item?.h?.B ? [item.h.B] : []));
}

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(PutItemCommand).resolves({});
  ddbMock.on(TransactWriteItemsCommand).resolves({});
});

describe('the hash chain of a stream', () => {
  it('links version 1 to the genesis hash and each next event to the one before, in one write', async () => {
    const store = newStore();
    await store.append([{ stream, expectedVersion: 0, events: [frozen('evt_1')] }]);
    await store.append([{ stream, expectedVersion: 1, events: [frozen('evt_2'), frozen('evt_3')] }]);

    const h1 = eventHash(stream, 1, frozen('evt_1'), GENESIS_HASH);
    const h2 = eventHash(stream, 2, frozen('evt_2'), h1);
    const h3 = eventHash(stream, 3, frozen('evt_3'), h2);
    expect(putHashes()).toEqual([h1, h2, h3]);
    // The store wrote the head itself: nothing was read to chain the second append.
    expect(ddbMock).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('chains after the head its load read, with no extra round trip', async () => {
    const store = newStore();
    const head = eventHash(stream, 4, frozen('evt_4'), sha256('three'));
    ddbMock.on(QueryCommand).resolves({ Items: [toItem(stream, 4, frozen('evt_4'), head)] });
    await store.readNewest(stream, 20);

    await store.append([{ stream, expectedVersion: 4, events: [frozen('evt_5')] }]);

    expect(putHashes()).toEqual([eventHash(stream, 5, frozen('evt_5'), head)]);
    expect(ddbMock).not.toHaveReceivedCommand(GetItemCommand);
  });

  it("reads the previous event's hash (one GetItem of h) when it has not seen the head", async () => {
    const previous = sha256('seven');
    ddbMock.on(GetItemCommand).resolves({ Item: { h: { B: previous } } });

    await newStore().append([{ stream, expectedVersion: 7, events: [frozen('evt_8')] }]);

    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: 'events',
      Key: { pk: { S: 'account#tenant_1#acct_1' }, version: { N: '7' } },
      ProjectionExpression: 'h',
      ConsistentRead: true,
    });
    expect(putHashes()).toEqual([eventHash(stream, 8, frozen('evt_8'), previous)]);
  });

  it('starts the chain again from genesis after an event written before the chain (no h)', async () => {
    const store = newStore();
    ddbMock.on(QueryCommand).resolves({ Items: [toItem(stream, 2, frozen('evt_2'))] });
    await store.readStream(stream);

    await store.append([{ stream, expectedVersion: 2, events: [frozen('evt_3')] }]);

    expect(putHashes()).toEqual([eventHash(stream, 3, frozen('evt_3'), GENESIS_HASH)]);
  });

  it('does not take a stale head for the version a write builds on', async () => {
    const store = newStore();
    ddbMock.on(QueryCommand).resolves({ Items: [toItem(stream, 2, frozen('evt_2'), sha256('two'))] });
    await store.readStream(stream);
    ddbMock.on(GetItemCommand).resolves({ Item: { h: { B: sha256('three') } } });

    await store.append([{ stream, expectedVersion: 3, events: [frozen('evt_4')] }]);

    expect(putHashes()).toEqual([eventHash(stream, 4, frozen('evt_4'), sha256('three'))]);
  });
});

describe('chain links read back from items', () => {
  it('recompute to the stored h from what the item holds (lean layout, defaults left out)', () => {
    const event = frozen('evt_2');
    const h = eventHash(stream, 2, event, sha256('one'));
    const link = chainLinkOfItem(unmarshall(toItem(stream, 2, event, h)));

    expect(link).toMatchObject({ stream, version: 2 });
    const at = { tenantId: 'tenant_1', streamType: 'account', streamId: 'acct_1', version: 2 };
    expect(sameBytes(link.h, h)).toBe(true);
    expect(sameBytes(chainHash(sha256, at, link.content, sha256('one')), h)).toBe(true);
  });

  it('differ from the stored h once the amount is edited in place', () => {
    const event: NewEvent = {
      ...frozen('evt_1'),
      type: 'TransferPosted',
      payload: {
        transferId: 'x',
        debitAccountId: 'a',
        creditAccountId: 'b',
        currency: 'USD',
        amount: 100,
        purpose: 'transfer',
        reference: null,
      },
    };
    const h = eventHash(stream, 1, event, GENESIS_HASH);
    const item = unmarshall(toItem(stream, 1, event, h));
    item.p.A = 1_000_000;
    const link = chainLinkOfItem(item);
    const at = { tenantId: 'tenant_1', streamType: 'account', streamId: 'acct_1', version: 1 };

    expect(sameBytes(chainHash(sha256, at, link.content, GENESIS_HASH), h)).toBe(false);
  });

  it('have no h when written before the chain, and refuse an h that is not 32 bytes', () => {
    expect(chainLinkOfItem(unmarshall(toItem(stream, 1, frozen('evt_1')))).h).toBeUndefined();
    const bad = unmarshall(toItem(stream, 1, frozen('evt_1'), new Uint8Array(4)));
    expect(() => chainLinkOfItem(bad)).toThrow(/h is not 32 bytes/);
  });
});
