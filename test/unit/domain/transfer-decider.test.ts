import { describe, expect, it } from 'vitest';
import { ACCOUNT } from '../../../lambdas/domain/account.ts';
import {
  AccountFrozenError,
  CreditsExceedDebitsError,
  CurrencyMismatchError,
  InsufficientFundsError,
  InvalidAmountError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
  UnknownCurrencyError,
} from '../../../lambdas/domain/errors.ts';
import type { AccountEvent, TransferEvent } from '../../../lambdas/domain/events.ts';
import { evolveTransfer, TRANSFER } from '../../../lambdas/domain/transfer.ts';
import {
  decideOpenTransfer,
  decideResolution,
  expireOnlyDecision,
  type OpenTransferCommand,
  postDecision,
  type ResolveDecision,
  type TransferGiven,
  unlessExpired,
  validateTransfer,
  voidDecision,
} from '../../../lambdas/domain/transfer-decisions.ts';
import { DeciderSpecification, replay, stored } from '../../support/decider-spec.ts';

/** What happened, by the stream it happened in. */
type Happened = readonly ['debit' | 'credit', AccountEvent] | readonly ['transfer', TransferEvent];

function given(happened: readonly Happened[]): TransferGiven {
  const of = <E>(stream: Happened[0]) => happened.filter(([s]) => s === stream).map(([, e]) => e as E);
  return {
    debit: replay(ACCOUNT, of<AccountEvent>('debit'), 'payer'),
    credit: replay(ACCOUNT, of<AccountEvent>('credit'), 'payee'),
    transfer: replay(TRANSFER, of<TransferEvent>('transfer'), 'tr_1'),
  };
}

const NOW = new Date('2026-01-01T00:00:00.000Z');
const open = DeciderSpecification.for<OpenTransferCommand, TransferGiven, Happened>({
  decide: decideOpenTransfer,
  evolve: given,
});
const resolve = (decide: ResolveDecision, now = NOW) =>
  DeciderSpecification.for<string, TransferGiven, Happened>({
    decide: (transferId, state) => [decideResolution({ ...state, now }, transferId, decide).event],
    evolve: given,
  });

const customer = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
const opened = (accountId: string, currency = 'USD'): AccountEvent => ({
  type: 'AccountOpened',
  payload: { accountId, currency, kind: 'customer', flags: customer },
});
const funded: AccountEvent = {
  type: 'TransferPosted',
  payload: {
    transferId: 'tr_0',
    debitAccountId: 'settlement-USD',
    creditAccountId: 'payer',
    currency: 'USD',
    amount: 1_000,
    purpose: 'deposit',
    reference: null,
  },
};
const legs = { transferId: 'tr_1', debitAccountId: 'payer', creditAccountId: 'payee', currency: 'USD' };
const command: OpenTransferCommand = {
  ...legs,
  amount: 400,
  pending: false,
  reference: null,
  purpose: 'transfer',
  now: NOW,
};
const posted: TransferEvent = {
  type: 'TransferPosted',
  payload: { ...legs, amount: 400, purpose: 'transfer', reference: null },
};
const pending: TransferEvent = {
  type: 'TransferPending',
  payload: {
    ...legs,
    amount: 400,
    purpose: 'transfer',
    reference: null,
    expiresAt: '2026-01-01T00:01:00.000Z',
  },
};
const accounts: Happened[] = [
  ['debit', opened('payer')],
  ['debit', funded],
  ['credit', opened('payee')],
];

describe('the transfer decider', () => {
  it('posts a transfer within the payer balance', () => {
    open.given(accounts).when(command).then([posted]);
  });

  it('reserves a two-phase transfer that expires timeoutSeconds after now', () => {
    open
      .given(accounts)
      .when({ ...command, pending: true, timeoutSeconds: 60 })
      .then([pending]);
  });

  it('rejects a transfer beyond the available balance, saying what is available', () => {
    open
      .given(accounts)
      .when({ ...command, amount: 1_001 })
      .thenThrows<InsufficientFundsError>(InsufficientFundsError, (error) =>
        expect(error.available).toBe(1_000),
      );
  });

  it('rejects the same account twice, another currency and a frozen account', () => {
    open
      .given(accounts)
      .when({ ...command, creditAccountId: 'payer' })
      .thenThrows(SameAccountError);
    open
      .given([
        ['debit', opened('payer', 'EUR')],
        ['credit', opened('payee')],
      ])
      .when(command)
      .thenThrows(CurrencyMismatchError);
    open
      .given([
        ...accounts,
        ['credit', { type: 'AccountFrozen', payload: { accountId: 'payee', reason: 'x' } }],
      ])
      .when(command)
      .thenThrows(AccountFrozenError);
  });

  it('does nothing for a retried id with the same fields', () => {
    open
      .given([['transfer', posted]])
      .when(command)
      .thenNothing();
  });

  it('rejects a retried id with different fields, naming the field', () => {
    open
      .given([['transfer', posted]])
      .when({ ...command, amount: 401 })
      .thenThrows<TransferExistsWithDifferentFieldsError>(TransferExistsWithDifferentFieldsError, (error) => {
        expect(error.field).toBe('amount');
        expect(error.details).toEqual({ transferId: 'tr_1', field: 'amount' });
        expect(error.message).toMatch(/amount differs/);
      });
    open
      .given([['transfer', posted]])
      .when({ ...command, pending: true })
      .thenThrows<TransferExistsWithDifferentFieldsError>(TransferExistsWithDifferentFieldsError, (error) =>
        expect(error.field).toBe('pending'),
      );
  });
});

describe('resolving a pending transfer', () => {
  const reserved: Happened[] = [...accounts, ['transfer', pending], ['debit', pending], ['credit', pending]];

  it('posts part of a reservation, and never more than it', () => {
    resolve(postDecision(300))
      .given(reserved)
      .when('tr_1')
      .then([{ type: 'PendingTransferPosted', payload: { ...legs, pendingAmount: 400, amount: 300 } }]);
    resolve(postDecision(401)).given(reserved).when('tr_1').thenThrows(PostAmountExceedsPendingError);
  });

  it('voids a reservation even on a frozen account', () => {
    const frozen: AccountEvent = { type: 'AccountFrozen', payload: { accountId: 'payer', reason: 'x' } };
    resolve(voidDecision)
      .given([...reserved, ['debit', frozen]])
      .when('tr_1')
      .then([{ type: 'PendingTransferVoided', payload: { ...legs, pendingAmount: 400 } }]);
  });

  it('expires a reservation past its expiry instead of resolving it as asked', () => {
    const later = new Date('2026-01-01T00:01:00.000Z');
    resolve(postDecision(), later)
      .given(reserved)
      .when('tr_1')
      .then([{ type: 'PendingTransferExpired', payload: { ...legs, pendingAmount: 400 } }]);
    const transfer = { id: 'tr_1', expiresAt: later.toISOString() };
    expect(() => unlessExpired({ transfer: { ...replayed(reserved), ...transfer }, expired: true })).toThrow(
      PendingTransferExpiredError,
    );
  });

  it('rejects resolving a transfer that is no longer pending', () => {
    const voided: TransferEvent = { type: 'PendingTransferVoided', payload: { ...legs, pendingAmount: 400 } };
    resolve(voidDecision)
      .given([...reserved, ['transfer', voided]])
      .when('tr_1')
      .thenThrows(TransferAlreadyResolvedError);
  });
});

function replayed(happened: readonly Happened[]) {
  const transfer = given(happened).transfer;
  if (!transfer) throw new Error('no transfer');
  return transfer;
}

describe('transfer rules checked before anything is loaded', () => {
  it('refuse an unknown currency and an amount that is not a positive integer', () => {
    expect(() => validateTransfer({ ...command, currency: 'XYZ' })).toThrow(UnknownCurrencyError);
    expect(() => validateTransfer({ ...command, amount: 0 })).toThrow(InvalidAmountError);
    expect(() => validateTransfer(command)).not.toThrow();
  });

  it('refuse a timeout that is not a positive number of seconds, naming the field', () => {
    open
      .given(accounts)
      .when({ ...command, pending: true, timeoutSeconds: 0 })
      .thenThrows<InvalidAmountError>(InvalidAmountError, (error) =>
        expect(error.details).toEqual({ field: 'timeoutSeconds' }),
      );
  });
});

describe('an account whose credits must not exceed its debits', () => {
  const capped: AccountEvent = {
    type: 'AccountOpened',
    payload: {
      accountId: 'payee',
      currency: 'USD',
      kind: 'internal',
      flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true },
    },
  };
  const owed: AccountEvent = {
    type: 'TransferPosted',
    payload: { ...funded.payload, debitAccountId: 'payee', creditAccountId: 'other', amount: 400 },
  };

  it('takes credits up to its posted debits, and refuses one more', () => {
    const capAccounts: Happened[] = [
      ['debit', opened('payer')],
      ['debit', funded],
      ['credit', capped],
      ['credit', owed],
    ];
    open.given(capAccounts).when(command).then([posted]);
    open
      .given(capAccounts)
      .when({ ...command, amount: 401 })
      .thenThrows(CreditsExceedDebitsError);
  });
});

describe('resolutions that cannot happen', () => {
  const reserved: Happened[] = [...accounts, ['transfer', pending], ['debit', pending], ['credit', pending]];

  it('leave a reservation not yet due to the sweeper that expires it', () => {
    resolve(expireOnlyDecision)
      .given(reserved)
      .when('tr_1')
      .thenThrows<TransferAlreadyResolvedError>(TransferAlreadyResolvedError, (error) =>
        expect(error.status).toBe('pending (not yet expired)'),
      );
  });

  it('say when an expired reservation expired', () => {
    const transfer = { ...replayed(reserved), expiresAt: '2026-01-01T00:01:00.000Z' };
    expect(() => unlessExpired({ transfer, expired: true })).toThrow(
      'Pending transfer tr_1 expired at 2026-01-01T00:01:00.000Z; its reservation was released',
    );
    expect(unlessExpired({ transfer, expired: false })).toBe(transfer);
  });
});

describe('the transfer reducer', () => {
  it('gives a transfer posted at once no expiry, and resolves it when it is created', () => {
    const state = evolveTransfer(
      null,
      stored(posted, { type: 'transfer', tenantId: 'tenant-a', id: 'tr_1' }, 1),
    );
    expect(state).toMatchObject({ status: 'posted', twoPhase: false, postedAmount: 400 });
    expect(state.expiresAt).toBeNull();
    expect(state.resolvedAt).toBe(state.createdAt);
  });
});

describe('facts from outside', () => {
  it('are booked beyond the limit and on a frozen account, and say so', () => {
    const frozen: AccountEvent = { type: 'AccountFrozen', payload: { accountId: 'payer', reason: 'kyc' } };
    open
      .given([...accounts, ['debit', frozen]])
      .when({ ...command, amount: 5_000, fact: true })
      .then([
        {
          type: 'TransferPosted',
          payload: {
            ...posted.payload,
            amount: 5_000,
            fact: true,
            overrode: ['account-frozen', 'insufficient-funds'],
          },
        },
      ]);
  });
});
