import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  type AccountCommand,
  type AccountState,
  decideAccount,
} from '../../../lambdas/domain/account.ts';
import {
  AccountNotEmptyError,
  AccountNotFoundError,
  InvalidStatusTransitionError,
  UnknownCurrencyError,
} from '../../../lambdas/domain/errors.ts';
import type { AccountEvent, TransferEvent } from '../../../lambdas/domain/events.ts';
import { DeciderSpecification, replay } from '../../support/decider-spec.ts';

const spec = DeciderSpecification.for<AccountCommand, AccountState | null, AccountEvent>({
  decide: decideAccount,
  evolve: (given) => replay(ACCOUNT, given, 'acct_1'),
});

const flags = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
const opened: AccountEvent = {
  type: 'AccountOpened',
  payload: { accountId: 'acct_1', currency: 'USD', kind: 'customer', flags },
};
const deposited: TransferEvent = {
  type: 'TransferPosted',
  payload: {
    transferId: 'tr_1',
    debitAccountId: 'settlement-USD',
    creditAccountId: 'acct_1',
    currency: 'USD',
    amount: 500,
    purpose: 'deposit',
    reference: null,
  },
};
const frozen: AccountEvent = { type: 'AccountFrozen', payload: { accountId: 'acct_1', reason: 'kyc' } };

describe('the account decider', () => {
  it('opens a customer account that cannot go below zero', () => {
    spec
      .given([])
      .when({ type: 'OpenAccount', accountId: 'acct_1', currency: 'USD', kind: 'customer' })
      .then([opened]);
  });

  it('opens an internal account without limits, and lets flags override the defaults', () => {
    spec
      .given([])
      .when({
        type: 'OpenAccount',
        accountId: 'acct_1',
        currency: 'EUR',
        kind: 'internal',
        flags: { creditsMustNotExceedDebits: true },
      })
      .then([
        {
          type: 'AccountOpened',
          payload: {
            accountId: 'acct_1',
            currency: 'EUR',
            kind: 'internal',
            flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true },
          },
        },
      ]);
  });

  it('rejects an unknown currency', () => {
    spec
      .given([])
      .when({ type: 'OpenAccount', accountId: 'acct_1', currency: 'XXQ', kind: 'customer' })
      .thenThrows(UnknownCurrencyError);
  });

  it('freezes an open account and unfreezes a frozen one', () => {
    spec.given([opened]).when({ type: 'FreezeAccount', accountId: 'acct_1', reason: 'kyc' }).then([frozen]);
    spec
      .given([opened, frozen])
      .when({ type: 'UnfreezeAccount', accountId: 'acct_1' })
      .then([{ type: 'AccountUnfrozen', payload: { accountId: 'acct_1' } }]);
  });

  it('rejects freezing a frozen account, naming the transition', () => {
    spec
      .given([opened, frozen])
      .when({ type: 'FreezeAccount', accountId: 'acct_1', reason: 'again' })
      .thenThrows<InvalidStatusTransitionError>(InvalidStatusTransitionError, (error) =>
        expect(error.message).toBe('Account acct_1 cannot go from frozen to frozen'),
      );
  });

  it('rejects a command on an account that was never opened', () => {
    spec
      .given([])
      .when({ type: 'FreezeAccount', accountId: 'acct_1', reason: 'kyc' })
      .thenThrows(AccountNotFoundError);
  });

  it('closes an empty account, frozen or not', () => {
    const closed: AccountEvent = { type: 'AccountClosed', payload: { accountId: 'acct_1' } };
    spec.given([opened]).when({ type: 'CloseAccount', accountId: 'acct_1' }).then([closed]);
    spec.given([opened, frozen]).when({ type: 'CloseAccount', accountId: 'acct_1' }).then([closed]);
  });

  it('rejects closing an account that still holds a balance', () => {
    spec
      .given([opened, deposited])
      .when({ type: 'CloseAccount', accountId: 'acct_1' })
      .thenThrows(AccountNotEmptyError);
  });

  it('rejects closing a closed account as a transition, not as not-empty', () => {
    spec
      .given([opened, { type: 'AccountClosed', payload: { accountId: 'acct_1' } }])
      .when({ type: 'CloseAccount', accountId: 'acct_1' })
      .thenThrows(InvalidStatusTransitionError);
  });
});
