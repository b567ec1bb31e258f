import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { openAccount } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { COMMAND_CONFLICT_RETRY } from '../../../lambdas/composition/ledger.ts';
import type { LedgerApiDeps } from '../../../lambdas/composition/ledger-api.ts';
import { ConcurrencyConflictError } from '../../../lambdas/domain/errors.ts';
import * as createTransfer from '../../../lambdas/handlers/api/create-transfer.ts';
import * as deposit from '../../../lambdas/handlers/api/deposit.ts';
import * as postTransfer from '../../../lambdas/handlers/api/post-transfer.ts';
import * as voidTransfer from '../../../lambdas/handlers/api/void-transfer.ts';
import * as withdraw from '../../../lambdas/handlers/api/withdraw.ts';
import type { ApiMain } from '../../../lambdas/shared/api.ts';
import { apiEvent, bodyOf, lambdaContext, type RequestOptions } from '../../support/api-events.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

// The idempotency table answers every write with success and keeps nothing: each request runs as a
// retry would after a crash that lost the idempotency record (after the ledger commit).
const ddb = mockClient(DynamoDBClient);
let ports: TestPorts;
let deps: LedgerApiDeps;
let alice: string;
let bob: string;

beforeEach(async () => {
  ddb.reset();
  ddb.onAnyCommand().resolves({});
  ports = inMemoryPorts();
  deps = {
    ports,
    retry: COMMAND_CONFLICT_RETRY,
    idempotency: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'idempotency' },
  };
  alice = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
  bob = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
});

async function call(main: ApiMain<LedgerApiDeps>, resource: string, options: RequestOptions) {
  const response = await main(apiEvent('POST', resource, options), deps, lambdaContext());
  return { status: response.statusCode, json: bodyOf(response) };
}

const key = (value: string) => ({ 'Idempotency-Key': value });
const deposits = (accountId: string, amount: number, k: string) =>
  call(deposit.main, '/accounts/{id}/deposits', {
    headers: key(k),
    pathParameters: { id: accountId },
    body: { amount, currency: 'USD' },
  });
const transfers = (body: Record<string, unknown>, k: string) =>
  call(createTransfer.main, '/transfers', {
    headers: key(k),
    body: { debitAccountId: alice, creditAccountId: bob, currency: 'USD', ...body },
  });

async function balance(accountId: string): Promise<number> {
  const account = await getAccount(ports, 'tenant-a', accountId);
  return account.creditsPosted - account.debitsPosted;
}

function transferStreams(): number {
  return [...ports.events.streams.keys()].filter((s) => s.startsWith('transfer#')).length;
}

describe('a retry after a crash that lost the idempotency record', () => {
  it('converges on the same deposit and withdrawal: one transfer each, balances moved once', async () => {
    const first = await deposits(alice, 500, 'dep-1');
    const retry = await deposits(alice, 500, 'dep-1');
    expect(first.status).toBe(201);
    expect(retry).toEqual(first);
    expect(first.json.id).toMatch(/^tr_[A-Za-z0-9]{26}$/);
    const out = {
      headers: key('wd-1'),
      pathParameters: { id: alice },
      body: { amount: 200, currency: 'USD' },
    };
    const taken = await call(withdraw.main, '/accounts/{id}/withdrawals', out);
    expect(await call(withdraw.main, '/accounts/{id}/withdrawals', out)).toEqual(taken);
    expect(transferStreams()).toBe(2);
    expect(await balance(alice)).toBe(300);
  });

  it('converges on the same transfer; another key is another transfer; a client id still wins', async () => {
    await deposits(alice, 1_000, 'fund');
    const first = await transfers({ amount: 100 }, 'tr-1');
    expect(await transfers({ amount: 100 }, 'tr-1')).toEqual(first);
    expect(await balance(bob)).toBe(100);
    const other = await transfers({ amount: 100 }, 'tr-2');
    expect(other.json.id).not.toBe(first.json.id);
    const named = await transfers({ id: 'order-42', amount: 100 }, 'tr-3');
    expect(named.json.id).toBe('order-42');
    expect(await balance(bob)).toBe(300);
    expect(await balance(alice)).toBe(700);
  });

  it('answers a post or a void that finds its own resolution as the first time; the other one is still 422', async () => {
    await deposits(alice, 1_000, 'fund');
    const held = await transfers({ amount: 400, pending: true }, 'hold-1');
    const id = held.json.id as string;
    const post = { headers: key('post-1'), pathParameters: { id }, body: { amount: 300 } };
    const posted = await call(postTransfer.main, '/transfers/{id}/post', post);
    expect(posted.status).toBe(200);
    expect(await call(postTransfer.main, '/transfers/{id}/post', post)).toEqual(posted);
    expect(await balance(bob)).toBe(300);
    const voidAfterPost = await call(voidTransfer.main, '/transfers/{id}/void', { pathParameters: { id } });
    expect(voidAfterPost).toMatchObject({
      status: 422,
      json: { type: 'urn:ledgerline:problem:transfer-already-resolved' },
    });

    const held2 = await transfers({ amount: 100, pending: true }, 'hold-2');
    const id2 = held2.json.id as string;
    const cancel = { headers: key('void-2'), pathParameters: { id: id2 } };
    const voided = await call(voidTransfer.main, '/transfers/{id}/void', cancel);
    expect(voided.status).toBe(200);
    expect(await call(voidTransfer.main, '/transfers/{id}/void', cancel)).toEqual(voided);
    const postAfterVoid = await call(postTransfer.main, '/transfers/{id}/post', {
      pathParameters: { id: id2 },
    });
    expect(postAfterVoid).toMatchObject({
      status: 422,
      json: { type: 'urn:ledgerline:problem:transfer-already-resolved' },
    });
    expect(await balance(alice)).toBe(700);
  });
});

describe('a request without an Idempotency-Key', () => {
  it('fixes its transfer id once: a conflict retry after a write whose answer was lost books nothing twice', async () => {
    const store = ports.events;
    const append = store.append.bind(store);
    let lost = false;
    store.append = async (writes) => {
      await append(writes);
      if (lost) return;
      lost = true;
      // The write is applied, but the caller sees a condition failure (e.g. an SDK retry of a committed write).
      throw new ConcurrencyConflictError(['transfer']);
    };
    const reply = await call(deposit.main, '/accounts/{id}/deposits', {
      pathParameters: { id: alice },
      body: { amount: 500, currency: 'USD' },
    });
    expect(reply.status).toBe(201);
    expect(transferStreams()).toBe(1);
    expect(await balance(alice)).toBe(500);
  });
});
