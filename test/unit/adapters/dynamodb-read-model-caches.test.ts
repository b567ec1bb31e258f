import {
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { GuardCache } from '../../../lambdas/adapters/dynamodb-guard-cache.ts';
import { PointerCache, writePointer } from '../../../lambdas/adapters/dynamodb-read-model-pointer.ts';

const ddbMock = mockClient(DynamoDBClient);

beforeEach(() => {
  ddbMock.reset();
});

describe('GuardCache', () => {
  it('forgets the least recently used guard beyond its size', () => {
    const cache = new GuardCache(2);
    cache.remember('a', { version: 1, state: null });
    cache.remember('b', { version: 2, state: null });
    cache.get('a');
    cache.remember('a', { version: 3, state: null });
    cache.remember('c', { version: 4, state: null });

    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ version: 3, state: null });
    expect(cache.get('c')).toEqual({ version: 4, state: null });
  });

  it('hands out copies: editing a guard read or remembered does not edit the cache', () => {
    const cache = new GuardCache(1);
    const guard = { version: 1, state: { total: 1 } };
    cache.remember('a', guard);
    guard.state.total = 2;
    const read = cache.get<{ total: number }>('a');
    if (read?.state) read.state.total = 3;

    expect(cache.get('a')).toEqual({ version: 1, state: { total: 1 } });
  });

  it('remembers nothing at size 0, and forgets on demand', () => {
    const off = new GuardCache(0);
    off.remember('a', { version: 1, state: null });
    const on = new GuardCache(1);
    on.remember('a', { version: 1, state: null });
    on.forget('a');

    expect(off.get('a')).toBeUndefined();
    expect(on.get('a')).toBeUndefined();
  });

  it('keys a guard by table, generation and row', () => {
    expect(GuardCache.key('t', 'g1', 'p', undefined)).not.toBe(GuardCache.key('t', 'g2', 'p', undefined));
    expect(GuardCache.key('t', 'g', 'p', 's')).toBe('t|g|p|s');
  });
});

describe('PointerCache', () => {
  const options = (now: () => number) => ({
    client: new DynamoDBClient({}),
    pointersTable: 'pointers',
    ttlMs: 5_000,
    pinned: { 'daily-totals': 'green' as const },
    now,
  });

  it('reads a pointer once per TTL, blue with the initial generation when there is none', async () => {
    ddbMock
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolves({ Item: { pk: { S: 'account-view' }, active: { S: 'green' }, switchedAt: { S: 't1' } } });
    let time = 0;
    const cache = new PointerCache(options(() => time));

    expect(await cache.pointer('account-view')).toEqual({ slot: 'blue', generation: 'initial' });
    time = 4_999;
    expect(await cache.pointer('account-view')).toEqual({ slot: 'blue', generation: 'initial' });
    time = 5_000;
    expect(await cache.pointer('account-view')).toEqual({ slot: 'green', generation: 't1' });
    expect(ddbMock.commandCalls(GetItemCommand)).toHaveLength(2);
  });

  it('serves a pinned slot without reading the pointer', async () => {
    const cache = new PointerCache(options(() => 0));

    expect(await cache.pointer('daily-totals')).toEqual({ slot: 'green', generation: 'pinned' });
    expect(ddbMock).not.toHaveReceivedCommand(GetItemCommand);
  });
});

describe('writePointer', () => {
  it('switches the model to the slot, with the time of the switch as the new generation', async () => {
    ddbMock.on(PutItemCommand).resolves({});

    await writePointer(new DynamoDBClient({}), 'pointers', 'account-view', 'green', 't2');

    expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'pointers',
      Item: { pk: { S: 'account-view' }, active: { S: 'green' }, switchedAt: { S: 't2' } },
    });
  });

  it('wraps a failure in a DynamoDbAdapterError naming the model', async () => {
    ddbMock.on(PutItemCommand).rejects(new InternalServerError({ message: 'boom', $metadata: {} }));

    const error = await writePointer(new DynamoDBClient({}), 'pointers', 'daily-totals', 'blue', 't').catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DynamoDbAdapterError);
    expect((error as Error).message).toBe('PutItem of the daily-totals pointer failed');
  });
});
