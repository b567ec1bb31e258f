import { describe, expect, it } from 'vitest';
import { useApiHarness } from './api-harness.ts';

// Accounts, transfers and Idempotency-Key over the API, handlers as deployed (see api-harness.ts).
const { call, catchUp, openAccount, deposit, getAccount, eventCount } = useApiHarness();

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

  it('answers 422 problem+json above the per-transfer ceiling, and writes nothing', async () => {
    const id = String((await openAccount()).json.id);
    const before = await eventCount();
    const refused = await deposit(id, 100_000_000_001);
    expect(refused.statusCode).toBe(422);
    expect(refused.json).toMatchObject({
      type: 'urn:ledgerline:problem:amount-above-ceiling',
      ceiling: 100_000_000_000,
    });
    expect(await eventCount()).toBe(before);
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
