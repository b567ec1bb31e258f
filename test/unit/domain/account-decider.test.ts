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

  it('rejects unfreezing an open account, naming the transition', () => {
    spec
      .given([opened])
      .when({ type: 'UnfreezeAccount', accountId: 'acct_1' })
      .thenThrows<InvalidStatusTransitionError>(InvalidStatusTransitionError, (error) =>
        expect(error.message).toBe('Account acct_1 cannot go from open to open'),
      );
  });

  it('rejects closing a closed account that a fact from outside moved, as a transition', () => {
    // Processor facts are booked whatever the status, so a closed account can hold money again.
    spec
      .given([opened, { type: 'AccountClosed', payload: { accountId: 'acct_1' } }, deposited])
      .when({ type: 'CloseAccount', accountId: 'acct_1' })
      .thenThrows<InvalidStatusTransitionError>(InvalidStatusTransitionError, (error) =>
        expect(error.message).toBe('Account acct_1 cannot go from closed to closed'),
      );
  });

  it('rejects closing an account that holds only a reservation, on either side, or unequal postings', () => {
    const leg = (debitAccountId: string, creditAccountId: string): TransferEvent => ({
      type: 'TransferPending',
      payload: {
        transferId: 'tr_2',
        debitAccountId,
        creditAccountId,
        currency: 'USD',
        amount: 70,
        purpose: 'transfer',
        reference: null,
        expiresAt: null,
      },
    });
    const withdrawn: TransferEvent = {
      type: 'TransferPosted',
      payload: { ...deposited.payload, debitAccountId: 'acct_1', creditAccountId: 'settlement-USD' },
    };
    for (const given of [
      [opened, leg('acct_1', 'acct_2')],
      [opened, leg('acct_2', 'acct_1')],
      [opened, withdrawn],
    ]) {
      spec.given(given).when({ type: 'CloseAccount', accountId: 'acct_1' }).thenThrows(AccountNotEmptyError);
    }
    // Posted both ways by the same amount: empty again.
    spec
      .given([opened, deposited, withdrawn])
      .when({ type: 'CloseAccount', accountId: 'acct_1' })
      .then([{ type: 'AccountClosed', payload: { accountId: 'acct_1' } }]);
  });
});

describe('the account reducer', () => {
  it('opens again after an unfreeze', () => {
    const unfrozen: AccountEvent = { type: 'AccountUnfrozen', payload: { accountId: 'acct_1' } };
    expect(replay(ACCOUNT, [opened, frozen, unfrozen], 'acct_1')).toMatchObject({
      status: 'open',
      version: 3,
    });
  });

  it('leaves the balances alone for a leg that names neither side as this account', () => {
    const elsewhere: TransferEvent = {
      type: 'TransferPosted',
      payload: { ...deposited.payload, debitAccountId: 'acct_8', creditAccountId: 'acct_9' },
    };
    expect(replay(ACCOUNT, [opened, elsewhere], 'acct_1')).toMatchObject({
      debitsPosted: 0,
      creditsPosted: 0,
      version: 2,
    });
  });
});

describe('an account command the compiler did not see', () => {
  it('fails loudly instead of deciding nothing', () => {
    // JSON.parse stands for a command built outside the type system.
    expect(() => decideAccount(JSON.parse('{"type":"RenameAccount","accountId":"acct_1"}'), null)).toThrow(
      /^Unhandled case/,
    );
  });
});
