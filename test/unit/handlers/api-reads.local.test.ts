import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from './api-harness.ts';

// Failure modes and reads over the API, handlers as deployed (see api-harness.ts).
const api = useApiHarness();
const { call, catchUp, openAccount, deposit, getAccount } = api;

describe('failure modes', () => {
  /** Runs `intercept` in front of every TransactWriteItems the handlers send, until the returned undo. */
  function onTransactWrite(intercept: () => Promise<void>): () => void {
    const name = `test-intercept-${Math.random()}`;
    api.handlersClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') await intercept();
        return next(args);
      },
      { step: 'initialize', name },
    );
    return () => api.handlersClient.middlewareStack.remove(name);
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
