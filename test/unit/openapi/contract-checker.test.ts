// The integration suite's contract hook: responses are held to the OpenAPI document.
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, checksumLine, EMPTY_TOTALS } from '../../../lambdas/shared/csv.ts';
import { ContractChecker, contractFetch } from '../../support/http-api.ts';

const checker = new ContractChecker();
const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';
const account = {
  id: 'acct_1',
  currency: 'USD',
  kind: 'customer',
  status: 'open',
  flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
  balances: { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0, available: 0 },
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const notFound = {
  type: 'urn:ledgerline:problem:account-not-found',
  title: 'Not found',
  status: 404,
  detail: 'Account acct_2 does not exist',
  instance: '/accounts/acct_2',
  accountId: 'acct_2',
};

describe('the contract checker', () => {
  it('accepts what the document declares', () => {
    expect(checker.problem('GET', '/accounts/acct_1', 200, JSON_TYPE, JSON.stringify(account))).toBeNull();
    expect(
      checker.problem('GET', '/accounts/acct_2', 404, PROBLEM_TYPE, JSON.stringify(notFound)),
    ).toBeNull();
    expect(checker.problem('POST', '/accounts', 403, JSON_TYPE, '{"message":"Forbidden"}')).toBeNull();
    expect(
      checker.problem('GET', '/nowhere', 403, JSON_TYPE, '{"message":"Missing Authentication Token"}'),
    ).toBeNull();
  });

  it('refuses a body that does not match, an undeclared status, an undeclared media type', () => {
    const extra = JSON.stringify({ ...account, balance: 5 });
    expect(checker.problem('GET', '/accounts/acct_1', 200, JSON_TYPE, extra)).toMatch(/does not match/);
    const { version: _, ...partial } = account;
    expect(checker.problem('GET', '/accounts/acct_1', 200, JSON_TYPE, JSON.stringify(partial))).toMatch(
      /does not match/,
    );
    expect(checker.problem('GET', '/accounts/acct_1', 201, JSON_TYPE, JSON.stringify(account))).toMatch(
      /status not declared/,
    );
    expect(checker.problem('GET', '/accounts/acct_1', 404, JSON_TYPE, JSON.stringify(notFound))).toMatch(
      /media type/,
    );
  });
});

describe('a body that is not JSON', () => {
  it('holds a text/csv answer to its schema as text, not as JSON', () => {
    const statement = '/accounts/acct_1/statement.csv';
    const empty = `${CSV_HEADER}${checksumLine(EMPTY_TOTALS)}`;
    expect(checker.problem('GET', statement, 200, 'text/csv; charset=utf-8', empty)).toBeNull();
    expect(checker.problem('GET', statement, 200, 'text/csv', 'not,a,statement\r\n')).toMatch(
      /does not match/,
    );
  });
});

describe('the contract fetch', () => {
  /** A fetch that answers `body` with `status` for any request, like the API under test would. */
  const answering =
    (status: number, body: unknown): typeof fetch =>
    async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_TYPE } });

  it('reports a request body the API accepted but the document refuses, and nothing for refused ones', () => {
    const valid = JSON.stringify({ currency: 'USD', kind: 'customer' });
    expect(checker.requestProblem('POST', '/accounts', 201, valid)).toBeNull();
    const outside = JSON.stringify({ currency: 'usd-dollars', kind: 'customer' });
    expect(checker.requestProblem('POST', '/accounts', 201, outside)).toMatch(
      /accepted a body the document refuses/,
    );
    // Refused by the API: the document and the API agree.
    expect(checker.requestProblem('POST', '/accounts', 400, outside)).toBeNull();
    expect(checker.requestProblem('POST', '/webhooks/processor', 200, '{"id":"evt_1"}')).toBeNull();
  });

  it('reports a response from the API that the document does not declare, and passes it on', async () => {
    const seen: string[] = [];
    const fetchApi = contractFetch('http://api.test/v1/', (p) => seen.push(p), answering(200, { id: 1 }));
    const response = await fetchApi('http://api.test/v1/accounts/acct_1', { method: 'GET' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 1 });
    expect(seen).toEqual([expect.stringContaining('GET /accounts/acct_1 → 200: body does not match')]);
  });

  it('stays silent on a declared response, and on other hosts', async () => {
    const seen: string[] = [];
    const fine = contractFetch('http://api.test/v1', (p) => seen.push(p), answering(200, account));
    await fine('http://api.test/v1/accounts/acct_1');
    const elsewhere = contractFetch('http://api.test/v1', (p) => seen.push(p), answering(500, 'nope'));
    await elsewhere('http://merchant.test/hooks', { method: 'POST' });
    expect(seen).toEqual([]);
  });
});
