import { expect, inject, it } from 'vitest';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

// Black box: HTTP only, against whatever target the global setup chose (local runtime by default).
const apiUrl = inject('apiUrl');
checkContract(apiUrl);
const apiKey = inject('apiKey');
const secondApiKey = inject('secondApiKey');

const request = apiClient(apiUrl, apiKey);

async function openAccount(currency = 'USD'): Promise<string> {
  const reply = await request('POST', '/accounts', { currency });
  expect(reply.status).toBe(201);
  return String(reply.json.id);
}

/** Far enough ahead that `?asOf=` replays every event: the write side's state, strongly consistent. */
const LATEST = '9999-12-31T23:59:59Z';

/**
 * GET /accounts/{id} reads the account view, which the projector updates shortly after each write:
 * poll (with a deadline) until the view has caught up with the event store's version, then read it.
 */
async function settledAccount(id: string, key = apiKey): Promise<Record<string, unknown>> {
  const head = await request('GET', `/accounts/${id}?asOf=${LATEST}`, undefined, { 'x-api-key': key });
  expect(head.status).toBe(200);
  return waitFor(
    async () => {
      const view = await request('GET', `/accounts/${id}`, undefined, { 'x-api-key': key });
      return view.status === 200 && view.json.version === head.json.version ? view.json : undefined;
    },
    { what: `account view of ${id} at version ${String(head.json.version)}` },
  );
}

const balances = async (id: string) => (await settledAccount(id)).balances;

describeTarget('the ledger API over HTTP', inject('skipReason'), inject('targetName'), () => {
  it('refuses a request without an API key with 401 (the authorizer answers Unauthorized)', async () => {
    const response = await fetch(`${apiUrl.replace(/\/$/, '')}/accounts`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });

  it('runs a whole account life: deposit, transfer, reserve, partial post, withdraw', async () => {
    const alice = await openAccount();
    const bob = await openAccount();
    expect(
      (await request('POST', `/accounts/${alice}/deposits`, { amount: 10_000, currency: 'USD' })).status,
    ).toBe(201);
    const transfer = await request('POST', '/transfers', {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 2_500,
      currency: 'USD',
    });
    expect(transfer.json).toMatchObject({ status: 'posted', amount: 2_500 });
    const hold = await request('POST', '/transfers', {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 4_000,
      currency: 'USD',
      pending: true,
      timeoutSeconds: 3600,
    });
    expect(await balances(alice)).toMatchObject({ debitsPending: 4_000, available: 3_500 });
    const posted = await request('POST', `/transfers/${hold.json.id}/post`, { amount: 1_000 });
    expect(posted.json).toMatchObject({ status: 'posted', postedAmount: 1_000 });
    expect(
      (await request('POST', `/accounts/${bob}/withdrawals`, { amount: 3_500, currency: 'USD' })).status,
    ).toBe(201);
    expect(await balances(alice)).toMatchObject({
      debitsPending: 0,
      debitsPosted: 3_500,
      creditsPosted: 10_000,
      available: 6_500,
    });
    expect(await balances(bob)).toMatchObject({ creditsPosted: 3_500, debitsPosted: 3_500, available: 0 });
  });

  it('answers problem+json: 400 malformed, 404 unknown, 422 insufficient funds', async () => {
    const id = await openAccount();
    const malformed = await request('POST', `/accounts/${id}/deposits`, { amount: '10', currency: 'USD' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect((await request('GET', '/accounts/acct_unknown')).status).toBe(404);
    const refused = await request('POST', `/accounts/${id}/withdrawals`, { amount: 1, currency: 'USD' });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ type: 'urn:ledgerline:problem:insufficient-funds', available: 0 });
  });

  it("keeps tenants apart: another API key's account is a 404", async () => {
    const id = await openAccount();
    await settledAccount(id);
    const foreign = await request('GET', `/accounts/${id}`, undefined, { 'x-api-key': secondApiKey });
    expect(foreign.status).toBe(404);
  });

  it('replays a retried deposit with the same Idempotency-Key, and moves the money once', async () => {
    const id = await openAccount();
    const key = { 'Idempotency-Key': `it-${id}` };
    const first = await request('POST', `/accounts/${id}/deposits`, { amount: 700, currency: 'USD' }, key);
    const again = await request('POST', `/accounts/${id}/deposits`, { amount: 700, currency: 'USD' }, key);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await request('POST', `/accounts/${id}/deposits`, { amount: 701, currency: 'USD' }, key);
    expect(reused.status).toBe(422);
    expect(await balances(id)).toMatchObject({ creditsPosted: 700 });
  });
});
