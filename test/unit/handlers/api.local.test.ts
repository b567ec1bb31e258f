import {
  CreateTableCommand,
  type DynamoDBClient,
  ScanCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildIdempotencyStore,
  buildLedgerPorts,
  COMMAND_CONFLICT_RETRY,
} from '../../../lambdas/composition/ledger.ts';
import type { LedgerApiDeps } from '../../../lambdas/composition/ledger-api.ts';
import type { ReadApiDeps } from '../../../lambdas/composition/read-api.ts';
import { buildReadModels } from '../../../lambdas/composition/read-models.ts';
import type { ProjectorDeps } from '../../../lambdas/composition/streams.ts';
import * as createTransfer from '../../../lambdas/handlers/api/create-transfer.ts';
import * as deposit_ from '../../../lambdas/handlers/api/deposit.ts';
import * as freezeAccount from '../../../lambdas/handlers/api/freeze-account.ts';
import * as getAccount_ from '../../../lambdas/handlers/api/get-account.ts';
import * as getDailyReport from '../../../lambdas/handlers/api/get-daily-report.ts';
import * as getTransfer from '../../../lambdas/handlers/api/get-transfer.ts';
import * as listAccountEvents from '../../../lambdas/handlers/api/list-account-events.ts';
import * as listAccountTransactions from '../../../lambdas/handlers/api/list-account-transactions.ts';
import * as openAccount_ from '../../../lambdas/handlers/api/open-account.ts';
import * as postTransfer from '../../../lambdas/handlers/api/post-transfer.ts';
import * as unfreezeAccount from '../../../lambdas/handlers/api/unfreeze-account.ts';
import * as voidTransfer from '../../../lambdas/handlers/api/void-transfer.ts';
import * as withdraw from '../../../lambdas/handlers/api/withdraw.ts';
import { main as project } from '../../../lambdas/handlers/projectors/projector.ts';
import { type ApiHandler, apiHandler, logger } from '../../../lambdas/shared/api.ts';
import { readModelsConfig } from '../../../lambdas/shared/config.ts';
import { apiEvent, bodyOf, lambdaContext, type RequestOptions } from '../../support/api-events.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  localClient,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';
import { createReadModelTables, readModelEnvironment } from '../../support/read-model-tables.ts';
import { StreamReader } from '../../support/stream-reader.ts';

// Handlers run as deployed (middy stack, real DynamoDB Local, real Powertools idempotency), with the
// dependencies their composition roots would build passed in.
let ddb: DynamoDbLocal;
let stream: StreamReader;
/** The handlers' own client, as in a container (the failure modes below intercept its calls). */
let handlersClient: DynamoDBClient;
let projectorDeps: ProjectorDeps;
const routes: Record<string, ApiHandler> = {};

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  await ddb.client.send(
    new CreateTableCommand({
      TableName: 'idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const readModels = await createReadModelTables(ddb.client);
  stream = new StreamReader(ddb.client, ddb.endpoint, 'events');
  logger.setLogLevel('SILENT');
  handlersClient = localClient(ddb.endpoint);
  const ports = buildLedgerPorts(handlersClient, {
    eventsTableName: 'events',
    snapshotsTableName: 'snapshots',
  });
  const ledger: LedgerApiDeps = {
    ports,
    retry: COMMAND_CONFLICT_RETRY,
    idempotency: buildIdempotencyStore(handlersClient, { idempotencyTableName: 'idempotency' }),
  };
  // One read-models adapter for the routes and the projector, as one container would hold.
  const models = buildReadModels(handlersClient, readModelsConfig(readModelEnvironment(readModels)));
  const read: ReadApiDeps = { ports, readModels: models };
  projectorDeps = { events: ports.events, readModels: models };
  const commands = {
    'open-account': openAccount_,
    deposit: deposit_,
    withdraw,
    'freeze-account': freezeAccount,
    'unfreeze-account': unfreezeAccount,
    'create-transfer': createTransfer,
    'post-transfer': postTransfer,
    'void-transfer': voidTransfer,
  };
  const queries = {
    'get-account': getAccount_,
    'get-transfer': getTransfer,
    'list-account-events': listAccountEvents,
    'list-account-transactions': listAccountTransactions,
    'get-daily-report': getDailyReport,
  };
  for (const [name, route] of Object.entries(commands)) routes[name] = apiHandler(route.main, () => ledger);
  for (const [name, route] of Object.entries(queries)) routes[name] = apiHandler(route.main, () => read);
}, 120_000);

afterAll(async () => {
  stream?.destroy();
  await ddb?.stop();
});

/** What the stream mapping does in the cloud: hands the projector every record written since the last call. */
async function catchUp(): Promise<void> {
  const Records = await stream.next();
  if (Records.length === 0) return;
  const response = await project({ Records }, projectorDeps, lambdaContext('projector'));
  expect(response.batchItemFailures).toEqual([]);
}

async function call(route: string, method: string, resource: string, options: RequestOptions = {}) {
  const handler = routes[route];
  if (!handler) throw new Error(`no route ${route}`);
  const response = await handler(apiEvent(method, resource, options), lambdaContext(route));
  return { ...response, json: bodyOf(response) };
}

const openAccount = (body: unknown = { currency: 'USD' }, options: RequestOptions = {}) =>
  call('open-account', 'POST', '/accounts', { body, ...options });
const deposit = (id: string, amount: number, options: RequestOptions = {}) =>
  call('deposit', 'POST', '/accounts/{id}/deposits', {
    pathParameters: { id },
    body: { amount, currency: 'USD' },
    ...options,
  });
/** GET /accounts/{id} once the projector has caught up (the read is eventually consistent). */
const getAccount = async (id: string, options: RequestOptions = {}) => {
  await catchUp();
  return call('get-account', 'GET', '/accounts/{id}', { pathParameters: { id }, ...options });
};

async function eventCount(): Promise<number> {
  return (await ddb.client.send(new ScanCommand({ TableName: 'events', Select: 'COUNT' }))).Count ?? 0;
}

describe('accounts over the API', () => {
  it('opens an account and reports its balances', async () => {
    const opened = await openAccount();
    expect(opened.statusCode).toBe(201);
    expect(opened.json).toMatchObject({
      currency: 'USD',
      kind: 'customer',
      status: 'open',
      balances: { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0, available: 0 },
      version: 1,
    });
    const id = String(opened.json.id);
    expect(id).toMatch(/^acct_[0-9A-Z]{26}$/);
    await deposit(id, 1250);
    const read = await getAccount(id);
    expect(read.statusCode).toBe(200);
    expect(read.json).toMatchObject({ id, balances: { creditsPosted: 1250, available: 1250 }, version: 2 });
  });

  it("answers 404 problem+json for another tenant's account", async () => {
    const id = String((await openAccount()).json.id);
    const read = await getAccount(id, { tenant: 'tenant-b' });
    expect(read.statusCode).toBe(404);
    expect(read.headers?.['content-type']).toBe('application/problem+json');
    expect(read.json).toMatchObject({ type: 'urn:ledgerline:problem:account-not-found', status: 404 });
  });

  it('refuses malformed input with 400 and writes nothing', async () => {
    const before = await eventCount();
    for (const body of [{ currency: 'usd' }, { currency: 'USD', extra: 1 }, {}]) {
      const response = await openAccount(body);
      expect(response.statusCode).toBe(400);
      expect(response.json.type).toBe('urn:ledgerline:problem:validation-failed');
    }
    const broken = await call('open-account', 'POST', '/accounts', { rawBody: '{"currency":' });
    expect(broken.json).toMatchObject({ status: 400, type: 'urn:ledgerline:problem:malformed-json' });
    const id = String((await openAccount()).json.id);
    const float = await call('deposit', 'POST', '/accounts/{id}/deposits', {
      pathParameters: { id },
      body: { amount: 10.5, currency: 'USD' },
    });
    expect(float.statusCode).toBe(400);
    expect(await eventCount()).toBe(before + 1);
  });

  it('refuses a request without an API key id in the request context', async () => {
    const response = await openAccount({ currency: 'USD' }, { tenant: null });
    expect(response.statusCode).toBe(401);
  });

  it('answers 422 with the available balance on insufficient funds', async () => {
    const id = String((await openAccount()).json.id);
    await deposit(id, 100);
    const response = await call('withdraw', 'POST', '/accounts/{id}/withdrawals', {
      pathParameters: { id },
      body: { amount: 101, currency: 'USD' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json).toMatchObject({
      type: 'urn:ledgerline:problem:insufficient-funds',
      available: 100,
      requested: 101,
      instance: `/accounts/${id}/withdrawals`,
    });
  });

  it('answers 422 on a frozen account', async () => {
    const id = String((await openAccount()).json.id);
    const frozen = await call('freeze-account', 'POST', '/accounts/{id}/freeze', {
      pathParameters: { id },
      body: { reason: 'kyc review' },
    });
    expect(frozen.json.status).toBe('frozen');
    const refused = await deposit(id, 5);
    expect(refused.statusCode).toBe(422);
    expect(refused.json.type).toBe('urn:ledgerline:problem:account-frozen');
    await call('unfreeze-account', 'POST', '/accounts/{id}/unfreeze', { pathParameters: { id } });
    expect((await deposit(id, 5)).statusCode).toBe(201);
  });
});

describe('transfers over the API', () => {
  async function pair(funding: number) {
    const from = String((await openAccount()).json.id);
    const to = String((await openAccount()).json.id);
    if (funding > 0) await deposit(from, funding);
    return { from, to };
  }

  it('moves money single-phase and shows it on both accounts', async () => {
    const { from, to } = await pair(1000);
    const created = await call('create-transfer', 'POST', '/transfers', {
      body: { debitAccountId: from, creditAccountId: to, amount: 300, currency: 'USD', reference: 'inv-7' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json).toMatchObject({
      status: 'posted',
      amount: 300,
      postedAmount: 300,
      reference: 'inv-7',
    });
    expect((await getAccount(from)).json.balances).toMatchObject({ debitsPosted: 300, available: 700 });
    expect((await getAccount(to)).json.balances).toMatchObject({ creditsPosted: 300, available: 300 });
    await catchUp();
    const read = await call('get-transfer', 'GET', '/transfers/{id}', {
      pathParameters: { id: String(created.json.id) },
    });
    expect(read.json).toEqual(created.json);
  });

  it('reserves, partially posts, and refuses to resolve twice', async () => {
    const { from, to } = await pair(1000);
    const pending = await call('create-transfer', 'POST', '/transfers', {
      body: { debitAccountId: from, creditAccountId: to, amount: 400, currency: 'USD', pending: true },
    });
    expect(pending.json).toMatchObject({ status: 'pending', pending: true });
    const id = String(pending.json.id);
    expect((await getAccount(from)).json.balances).toMatchObject({ debitsPending: 400, available: 600 });
    const posted = await call('post-transfer', 'POST', '/transfers/{id}/post', {
      pathParameters: { id },
      body: { amount: 250 },
    });
    expect(posted.json).toMatchObject({ status: 'posted', postedAmount: 250 });
    expect((await getAccount(from)).json.balances).toMatchObject({
      debitsPending: 0,
      debitsPosted: 250,
      available: 750,
    });
    const again = await call('void-transfer', 'POST', '/transfers/{id}/void', { pathParameters: { id } });
    expect(again.statusCode).toBe(422);
    expect(again.json).toMatchObject({
      type: 'urn:ledgerline:problem:transfer-already-resolved',
      transferStatus: 'posted',
    });
  });

  it('rejects a transfer between currencies with 422', async () => {
    const usd = String((await openAccount()).json.id);
    const eur = String((await openAccount({ currency: 'EUR' })).json.id);
    await deposit(usd, 100);
    const response = await call('create-transfer', 'POST', '/transfers', {
      body: { debitAccountId: usd, creditAccountId: eur, amount: 1, currency: 'USD' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json.type).toBe('urn:ledgerline:problem:currency-mismatch');
  });

  it('keeps eight concurrent transfers from one account exact', async () => {
    const { from } = await pair(800);
    const payees = await Promise.all(
      Array.from({ length: 8 }, async () => String((await openAccount()).json.id)),
    );
    const responses = await Promise.all(
      payees.map((to) =>
        call('create-transfer', 'POST', '/transfers', {
          body: { debitAccountId: from, creditAccountId: to, amount: 100, currency: 'USD' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    // Each either committed or, after its bounded retries, was told to retry: never a lost or double write.
    const committed = statuses.filter((s) => s === 201).length;
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect((await getAccount(from)).json.balances).toMatchObject({ debitsPosted: committed * 100 });
    expect(committed).toBeGreaterThanOrEqual(1);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, and moves the money once', async () => {
    const id = String((await openAccount()).json.id);
    const headers = { 'Idempotency-Key': `dep-${id}` };
    const first = await deposit(id, 500, { headers });
    const second = await deposit(id, 500, { headers });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.body).toBe(first.body);
    expect(first.headers?.['Idempotent-Replayed']).toBe('false');
    expect(second.headers?.['Idempotent-Replayed']).toBe('true');
    expect((await getAccount(id)).json.balances).toMatchObject({ creditsPosted: 500 });
  });

  it('refuses the same key with a different body with 422, and moves nothing more', async () => {
    const id = String((await openAccount()).json.id);
    const headers = { 'Idempotency-Key': `dep2-${id}` };
    await deposit(id, 500, { headers });
    const reused = await deposit(id, 501, { headers });
    expect(reused.statusCode).toBe(422);
    expect(reused.json.type).toBe('urn:ledgerline:problem:idempotency-key-reused');
    expect((await getAccount(id)).json.balances).toMatchObject({ creditsPosted: 500 });
  });

  it('scopes keys to the tenant: another tenant with the same key gets its own result', async () => {
    const a = await openAccount({ currency: 'USD' }, { headers: { 'Idempotency-Key': 'shared-key' } });
    const b = await openAccount(
      { currency: 'USD' },
      { tenant: 'tenant-b', headers: { 'Idempotency-Key': 'shared-key' } },
    );
    expect(b.statusCode).toBe(201);
    expect(b.json.id).not.toBe(a.json.id);
  });

  it('stores a rule violation as the answer: a retry gets the same 422 even after funds arrive', async () => {
    const id = String((await openAccount()).json.id);
    const headers = { 'Idempotency-Key': `wd-${id}` };
    const withdraw = () =>
      call('withdraw', 'POST', '/accounts/{id}/withdrawals', {
        pathParameters: { id },
        body: { amount: 50, currency: 'USD' },
        headers,
      });
    expect((await withdraw()).statusCode).toBe(422);
    await deposit(id, 100);
    const retry = await withdraw();
    expect(retry.statusCode).toBe(422);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect((await getAccount(id)).json.balances).toMatchObject({ debitsPosted: 0 });
  });

  it('rejects a malformed key', async () => {
    const response = await openAccount({ currency: 'USD' }, { headers: { 'Idempotency-Key': 'has space' } });
    expect(response.statusCode).toBe(400);
  });
});

describe('failure modes', () => {
  /** Runs `intercept` in front of every TransactWriteItems the handlers send, until the returned undo. */
  function onTransactWrite(intercept: () => Promise<void>): () => void {
    const name = `test-intercept-${Math.random()}`;
    handlersClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') await intercept();
        return next(args);
      },
      { step: 'initialize', name },
    );
    return () => handlersClient.middlewareStack.remove(name);
  }

  it('answers 409 with Retry-After while the same key is still in flight, then replays the result', async () => {
    const id = String((await openAccount()).json.id);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const undo = onTransactWrite(async () => {
      entered();
      await gate;
    });
    const headers = { 'Idempotency-Key': `inflight-${id}` };
    try {
      const first = deposit(id, 70, { headers });
      await inside;
      const duplicate = await deposit(id, 70, { headers });
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.headers?.['Retry-After']).toBe('1');
      expect(duplicate.json.type).toBe('urn:ledgerline:problem:idempotent-request-in-progress');
      release();
      expect((await first).statusCode).toBe(201);
    } finally {
      release();
      undo();
    }
    expect((await deposit(id, 70, { headers })).headers?.['Idempotent-Replayed']).toBe('true');
    expect((await getAccount(id)).json.balances).toMatchObject({ creditsPosted: 70 });
  });

  it('gives up after five conflicting attempts with 409, stores nothing, and a retry then succeeds', async () => {
    const id = String((await openAccount()).json.id);
    let attempts = 0;
    const undo = onTransactWrite(async () => {
      attempts++;
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }],
      });
    });
    const headers = { 'Idempotency-Key': `conflict-${id}` };
    try {
      const response = await deposit(id, 10, { headers });
      expect(response.statusCode).toBe(409);
      expect(response.headers?.['Retry-After']).toBe('1');
      expect(response.json.type).toBe('urn:ledgerline:problem:concurrent-modification');
      expect(attempts).toBe(5);
    } finally {
      undo();
    }
    const retry = await deposit(id, 10, { headers });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('false');
  });
});

describe('reads: read models, audit trail and time travel', () => {
  const get = async (
    route: string,
    resource: string,
    id: string,
    query?: Record<string, string>,
    tenant?: string,
  ) => {
    await catchUp();
    return call(route, 'GET', resource, {
      pathParameters: { id },
      ...(query ? { query } : {}),
      ...(tenant ? { tenant } : {}),
    });
  };
  const events = (id: string, query?: Record<string, string>, tenant?: string) =>
    get('list-account-events', '/accounts/{id}/events', id, query, tenant);
  const transactions = (id: string, query?: Record<string, string>, tenant?: string) =>
    get('list-account-transactions', '/accounts/{id}/transactions', id, query, tenant);
  const report = async (query: Record<string, string>) => {
    await catchUp();
    return call('get-daily-report', 'GET', '/reports/daily', { query });
  };

  it('travels in time by version or instant, from the event store', async () => {
    const id = String((await openAccount()).json.id);
    const first = await deposit(id, 100);
    // Events carry millisecond timestamps: keep the second deposit out of the first one's millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await deposit(id, 200);
    const byVersion = await call('get-account', 'GET', '/accounts/{id}', {
      pathParameters: { id },
      query: { asOf: '2' },
    });
    expect(byVersion.json).toMatchObject({ version: 2, balances: { creditsPosted: 100 } });
    const byTime = await call('get-account', 'GET', '/accounts/{id}', {
      pathParameters: { id },
      query: { asOf: String(first.json.createdAt) },
    });
    expect(byTime.json).toMatchObject({ version: 2, balances: { creditsPosted: 100 } });
    const before = await call('get-account', 'GET', '/accounts/{id}', {
      pathParameters: { id },
      query: { asOf: '2000-01-01T00:00:00Z' },
    });
    expect(before.statusCode).toBe(404);
    expect((await getAccount(id)).json).toMatchObject({ version: 3, balances: { creditsPosted: 300 } });
  });

  it('pages the full event history with an opaque cursor, without loss or repetition', async () => {
    const id = String((await openAccount()).json.id);
    for (const amount of [1, 2, 3, 4]) await deposit(id, amount);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await events(id, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(page.statusCode).toBe(200);
      seen.push(...(page.json.data as { version: number }[]).map((e) => e.version));
      cursor = page.json.nextCursor as string | null;
      pages++;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
    const [opened] = (await events(id)).json.data as Record<string, unknown>[];
    expect(opened).toMatchObject({
      version: 1,
      type: 'AccountOpened',
      schemaVersion: 2,
      actor: 'api-key:tenant-a',
    });
    expect((await events(id, undefined, 'tenant-b')).statusCode).toBe(404);
    const bad = await events(id, { cursor: 'bm90LWEtY3Vyc29y' });
    expect(bad.json).toMatchObject({ status: 400, type: 'urn:ledgerline:problem:invalid-cursor' });
    expect((await events(id, { limit: '101' })).statusCode).toBe(400);
  });

  it('pages transactions (postings) by keyset, newest balance last', async () => {
    const id = String((await openAccount()).json.id);
    for (const amount of [10, 20, 30, 40, 50]) await deposit(id, amount);
    const rows: { amount: number; postedBalanceAfter: number }[] = [];
    let cursor: string | null = null;
    do {
      const page = await transactions(id, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(page.statusCode).toBe(200);
      rows.push(...(page.json.data as typeof rows));
      cursor = page.json.nextCursor as string | null;
    } while (cursor);
    expect(rows.map((r) => r.amount)).toEqual([10, 20, 30, 40, 50]);
    expect(rows.at(-1)?.postedBalanceAfter).toBe(150);
    expect((await transactions(id, undefined, 'tenant-b')).statusCode).toBe(404);
    const forged = Buffer.from(JSON.stringify({ postedAt: 'x', transferId: 'y' })).toString('base64url');
    expect((await transactions(id, { cursor: forged })).json.type).toBe(
      'urn:ledgerline:problem:invalid-cursor',
    );
  });

  it("reads a transfer from the transfer view; another tenant's is a 404", async () => {
    const id = String((await openAccount()).json.id);
    const made = await deposit(id, 5);
    const read = await get('get-transfer', '/transfers/{id}', String(made.json.id));
    expect(read.json).toEqual(made.json);
    expect(
      (await get('get-transfer', '/transfers/{id}', String(made.json.id), undefined, 'tenant-b')).statusCode,
    ).toBe(404);
  });

  it('reports daily totals per currency, and refuses bad ranges with 400', async () => {
    const id = String((await openAccount({ currency: 'CHF' })).json.id);
    await call('deposit', 'POST', '/accounts/{id}/deposits', {
      pathParameters: { id },
      body: { amount: 999, currency: 'CHF' },
    });
    const today = new Date().toISOString().slice(0, 10);
    const chf = await report({ from: today, to: today, currency: 'CHF' });
    expect(chf.json.data).toEqual([
      { day: today, currency: 'CHF', count: 1, debits: 999, credits: 999, deposits: 999, withdrawals: 0 },
    ]);
    const all = (await report({ from: today, to: today })).json.data as { currency: string }[];
    expect(all.map((d) => d.currency)).toEqual(expect.arrayContaining(['CHF', 'USD']));
    for (const query of [
      { from: today },
      { from: '2026-02-30', to: '2026-03-01' },
      { from: '2026-03-02', to: '2026-03-01' },
      { from: '2025-01-01', to: '2026-01-02' },
      { from: today, to: today, currency: 'chf' },
    ] as Record<string, string>[]) {
      expect((await report(query)).statusCode, JSON.stringify(query)).toBe(400);
    }
  });
});
