import { describe, expect, it } from 'vitest';
import { ACCOUNT } from '../../../lambdas/domain/account.ts';
import {
  AccountFrozenError,
  CurrencyMismatchError,
  InsufficientFundsError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
} from '../../../lambdas/domain/errors.ts';
import type { AccountEvent, TransferEvent } from '../../../lambdas/domain/events.ts';
import { TRANSFER } from '../../../lambdas/domain/transfer.ts';
import {
  decideOpenTransfer,
  decideResolution,
  type OpenTransferCommand,
  postDecision,
  type ResolveDecision,
  type TransferGiven,
  unlessExpired,
  voidDecision,
} from '../../../lambdas/domain/transfer-decisions.ts';
import { DeciderSpecification, replay } from '../../support/decider-spec.ts';

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
