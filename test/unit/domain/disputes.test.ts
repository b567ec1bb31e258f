import { describe, expect, it } from 'vitest';
import { ACCOUNT, type AccountState } from '../../../lambdas/domain/account.ts';
import { merchantAccount, NotAMerchantAccountError } from '../../../lambdas/domain/disputes.ts';
import { AccountNotFoundError } from '../../../lambdas/domain/errors.ts';
import type { AccountKind } from '../../../lambdas/domain/events.ts';
import { ProcessorUnavailableError } from '../../../lambdas/domain/payments/processor.ts';
import { replay } from '../../support/decider-spec.ts';

function account(kind: AccountKind): AccountState | null {
  const flags = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
  return replay(
    ACCOUNT,
    [{ type: 'AccountOpened', payload: { accountId: 'acct_1', currency: 'USD', kind, flags } }],
    'acct_1',
  );
}

describe('the merchant of a dispute', () => {
  it('is a merchant account of the tenant; anything else is refused, naming what it is', () => {
    expect(merchantAccount(account('merchant'), 'acct_1')).toMatchObject({ id: 'acct_1', kind: 'merchant' });
    expect(() => merchantAccount(account('customer'), 'acct_1')).toThrow(
      new NotAMerchantAccountError('acct_1', 'customer'),
    );
    expect(() => merchantAccount(null, 'acct_9')).toThrow(AccountNotFoundError);
  });
});

describe('an unreachable processor', () => {
  it('is a named, retryable failure', () => {
    expect(new ProcessorUnavailableError('timeout').name).toBe('ProcessorUnavailableError');
  });
});
