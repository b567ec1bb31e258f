// The integration suite's contract hook: responses are held to the OpenAPI document.
import { describe, expect, it } from 'vitest';
import { ContractChecker } from '../../support/http-api.ts';

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
