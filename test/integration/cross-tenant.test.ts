// Every route, sent with another tenant's key for the first tenant's resources, answers 404; the
// collection routes answer the caller's own (empty) data. Table-driven; one row per route.
import { beforeAll, expect, inject, it } from 'vitest';
import { OPERATIONS } from '../../lambdas/handlers/api/openapi-operations.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl');
checkContract(apiUrl);
const owner = apiClient(apiUrl, inject('apiKey'));
const other = apiClient(apiUrl, inject('secondApiKey'));

/** The first tenant's resources: accounts, a posted and a pending transfer, a payment. */
const ids = { account: '', merchant: '', transfer: '', pending: '', payment: '', import: '' };
const key = () => `cross-tenant-${Math.random().toString(36).slice(2)}`;

interface Row {
  readonly body?: unknown;
  readonly idempotent?: boolean;
  /** 404 for a resource of the first tenant; 200 with none of its data for a collection. */
  readonly expect: 404 | 'own-data' | 'not-tenant-scoped';
}

/** Every route of the API, with the first tenant's ids filled in. */
const ROWS: Readonly<Record<string, Row>> = {
  'POST /accounts': { body: { currency: 'USD' }, expect: 'not-tenant-scoped' },
  'GET /accounts/{id}': { expect: 404 },
  'GET /accounts/{id}/events': { expect: 404 },
  'GET /accounts/{id}/transactions': { expect: 404 },
  'GET /accounts/{id}/statement.csv': { expect: 404 },
  'POST /accounts/{id}/deposits': { body: { amount: 100, currency: 'USD' }, expect: 404 },
  'POST /accounts/{id}/withdrawals': { body: { amount: 100, currency: 'USD' }, expect: 404 },
  'POST /accounts/{id}/freeze': { body: { reason: 'cross-tenant probe' }, expect: 404 },
  'POST /accounts/{id}/unfreeze': { expect: 404 },
  'POST /transfers': {
    body: { debitAccountId: 'ACCOUNT', creditAccountId: 'MERCHANT', amount: 100, currency: 'USD' },
    expect: 404,
  },
  'GET /transfers/{id}': { expect: 404 },
  'POST /transfers/{id}/post': { expect: 404 },
  'POST /transfers/{id}/void': { expect: 404 },
  'GET /reports/daily': { expect: 'own-data' },
  'POST /webhooks/processor': { expect: 'not-tenant-scoped' },
  'POST /merchants/{id}/webhook-endpoints': { body: { url: 'http://127.0.0.1:9/hooks' }, expect: 404 },
  'GET /merchants/{id}/webhook-endpoints': { expect: 404 },
  'GET /merchants/{id}/deliveries': { expect: 404 },
  'POST /payments': {
    body: {
      payerAccountId: 'ACCOUNT',
      merchantAccountId: 'MERCHANT',
      amount: 100,
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    },
    idempotent: true,
    expect: 404,
  },
  'GET /payments': { expect: 'own-data' },
  'GET /payments/{id}': { expect: 404 },
  'POST /payments/{id}/refunds': { body: { amount: 100 }, idempotent: true, expect: 404 },
  'GET /openapi.json': { expect: 'not-tenant-scoped' },
  'POST /imports': { idempotent: true, expect: 'not-tenant-scoped' },
  'GET /imports/{id}': { expect: 404 },
  'POST /imports/{id}/retry-rejected': { idempotent: true, expect: 404 },
  'POST /exports': {
    body: { kind: 'account-statement', accountId: 'ACCOUNT', from: '2020-01-01', to: '2100-01-01' },
    idempotent: true,
    expect: 404,
  },
  'GET /exports/{id}': { expect: 404 },
};

/** The path with the first tenant's id of the right kind. */
function concrete(path: string): string {
  const id = path.startsWith('/merchants')
    ? ids.merchant
    : path.startsWith('/transfers/{id}/')
      ? ids.pending
      : path.startsWith('/transfers')
        ? ids.transfer
        : path.startsWith('/payments')
          ? ids.payment
          : path.startsWith('/imports')
            ? ids.import
            : ids.account;
  return path.replace('{id}', id);
}

function filled(body: unknown): unknown {
  return JSON.parse(
    JSON.stringify(body ?? null)
      .replaceAll('"ACCOUNT"', JSON.stringify(ids.account))
      .replaceAll('"MERCHANT"', JSON.stringify(ids.merchant)),
  );
}

describeTarget('another tenant', inject('skipReason'), inject('targetName'), () => {
  beforeAll(async () => {
    const opened = async (kind: string) =>
      String((await owner('POST', '/accounts', { currency: 'USD', kind })).json.id);
    ids.account = await opened('customer');
    ids.merchant = await opened('merchant');
    expect(
      (await owner('POST', `/accounts/${ids.account}/deposits`, { amount: 10_000, currency: 'USD' })).status,
    ).toBe(201);
    const transfer = {
      debitAccountId: ids.account,
      creditAccountId: ids.merchant,
      amount: 100,
      currency: 'USD',
    };
    ids.transfer = String((await owner('POST', '/transfers', transfer)).json.id);
    ids.pending = String((await owner('POST', '/transfers', { ...transfer, pending: true })).json.id);
    const payment = await owner(
      'POST',
      '/payments',
      {
        payerAccountId: ids.account,
        merchantAccountId: ids.merchant,
        amount: 200,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      },
      { 'Idempotency-Key': key() },
    );
    expect(payment.status).toBe(202);
    ids.payment = String(payment.json.id);
    ids.import = String((await owner('POST', '/imports', undefined, { 'Idempotency-Key': key() })).json.id);
    // The views the GETs read are eventually consistent: wait until the owner sees each resource.
    for (const path of [
      `/accounts/${ids.account}`,
      `/transfers/${ids.transfer}`,
      `/payments/${ids.payment}`,
    ]) {
      await waitFor(async () => (await owner('GET', path)).status === 200, { what: `owner's ${path}` });
    }
  });

  it('has a row for every route of the API', () => {
    expect(Object.keys(ROWS).sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it.each(Object.entries(ROWS).filter(([, row]) => row.expect === 404))(
    '%s of the first tenant answers 404 problem+json',
    async (route, row) => {
      const [method = '', path = ''] = route.split(' ');
      const reply = await other(
        method,
        concrete(path),
        row.body === undefined ? undefined : filled(row.body),
        row.idempotent ? { 'Idempotency-Key': key() } : {},
      );
      expect({ route, status: reply.status }).toEqual({ route, status: 404 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    },
  );

  it.each(Object.entries(ROWS).filter(([, row]) => row.expect === 'own-data'))(
    '%s answers the caller’s own data, none of the first tenant’s',
    async (route) => {
      const [method = '', path = ''] = route.split(' ');
      const today = new Date().toISOString().slice(0, 10);
      const reply = await other(
        method,
        path === '/reports/daily' ? `${path}?from=${today}&to=${today}` : path,
      );
      expect(reply.status).toBe(200);
      expect(JSON.stringify(reply.json)).not.toContain(ids.payment);
    },
  );

  it('left the first tenant’s account as it was', async () => {
    const account = await owner('GET', `/accounts/${ids.account}?asOf=9999-12-31T23:59:59Z`);
    expect(account.json).toMatchObject({ status: 'open' });
  });
});
