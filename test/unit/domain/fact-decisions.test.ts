import { describe, expect, it } from 'vitest';
import { ACCOUNT, type AccountState } from '../../../lambdas/domain/account.ts';
import { DisputeNotOpenedError } from '../../../lambdas/domain/disputes.ts';
import {
  AccountFrozenError,
  AwaitingPredecessorError,
  InsufficientFundsError,
  LedgerError,
} from '../../../lambdas/domain/errors.ts';
import type { AccountEvent } from '../../../lambdas/domain/events.ts';
import { TRANSFER, type TransferState } from '../../../lambdas/domain/transfer.ts';
import {
  decideOpenTransfer,
  decideResolution,
  type OpenTransferCommand,
  postDecision,
} from '../../../lambdas/domain/transfer-decisions.ts';
import { replay } from '../../support/decider-spec.ts';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const customer = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
const opened = (accountId: string): AccountEvent => ({
  type: 'AccountOpened',
  payload: { accountId, currency: 'USD', kind: 'merchant', flags: customer },
});
const frozen = (accountId: string): AccountEvent => ({
  type: 'AccountFrozen',
  payload: { accountId, reason: 'review' },
});
const account = (id: string, ...more: AccountEvent[]): AccountState | null =>
  replay(ACCOUNT, [opened(id), ...more], id);
const command: OpenTransferCommand = {
  transferId: 'dph_1',
  debitAccountId: 'merchant',
  creditAccountId: 'disputes-USD',
  amount: 300,
  currency: 'USD',
  pending: false,
  reference: null,
  purpose: 'transfer',
  now: NOW,
};

describe('a fact from outside', () => {
  it('is refused like any transfer when it is not a fact', () => {
    const given = { transfer: null, debit: account('merchant'), credit: account('disputes-USD') };
    expect(() => decideOpenTransfer(command, given)).toThrow(InsufficientFundsError);
    const onFrozen = { ...given, debit: account('merchant', frozen('merchant')) };
    expect(() => decideOpenTransfer(command, onFrozen)).toThrow(AccountFrozenError);
  });

  it('is booked over the rules it breaks, and names each one on its event', () => {
    const given = {
      transfer: null,
      debit: account('merchant', frozen('merchant')),
      credit: account('disputes-USD', frozen('disputes-USD')),
    };
    const [event] = decideOpenTransfer({ ...command, fact: true }, given);
    expect(event?.payload).toMatchObject({ fact: true, overrode: ['account-frozen', 'insufficient-funds'] });
  });

  it('carries no overrode list when it broke nothing', () => {
    const funded: AccountEvent = {
      type: 'TransferPosted',
      payload: {
        transferId: 'tr_0',
        debitAccountId: 'settlement-USD',
        creditAccountId: 'merchant',
        currency: 'USD',
        amount: 1_000,
        purpose: 'deposit',
        reference: null,
      },
    };
    const given = { transfer: null, debit: account('merchant', funded), credit: account('disputes-USD') };
    const [event] = decideOpenTransfer({ ...command, fact: true }, given);
    expect(event?.payload).toHaveProperty('fact', true);
    expect(event?.payload).not.toHaveProperty('overrode');
  });

  it('posts a reservation on a frozen account as a fact, naming the freeze', () => {
    const legs = { transferId: 'dph_1', debitAccountId: 'merchant', creditAccountId: 'disputes-USD' };
    const pending = replay(
      TRANSFER,
      [
        {
          type: 'TransferPending',
          payload: {
            ...legs,
            currency: 'USD',
            amount: 300,
            purpose: 'transfer',
            reference: null,
            expiresAt: null,
          },
        },
      ],
      'dph_1',
    ) as TransferState;
    const state = {
      transfer: pending,
      debit: account('merchant', frozen('merchant')),
      credit: account('disputes-USD'),
      now: NOW,
    };
    expect(() => decideResolution(state, 'dph_1', postDecision())).toThrow(AccountFrozenError);
    const { event } = decideResolution(state, 'dph_1', postDecision(undefined, { fact: true }));
    expect(event.payload).toMatchObject({ fact: true, overrode: ['account-frozen'] });
  });
});

describe('a fact that came before its predecessor', () => {
  it('is awaited, never refused: not a LedgerError, and a dispute closed before it opened is one', () => {
    const early = new AwaitingPredecessorError('dispute dp_1 has no hold yet');
    expect(early.name).toBe('AwaitingPredecessorError');
    expect(early).not.toBeInstanceOf(LedgerError);
    const dispute = new DisputeNotOpenedError('dp_1');
    expect(dispute).toBeInstanceOf(AwaitingPredecessorError);
    expect(dispute).toMatchObject({ name: 'DisputeNotOpenedError', disputeId: 'dp_1' });
  });
});
