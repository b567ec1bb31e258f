import { describe, expect, it } from 'vitest';
import { ACCOUNT, evolveAccount } from '../../../lambdas/domain/account.ts';
import { EventBeforeOpeningError, ForeignEventError } from '../../../lambdas/domain/aggregate.ts';
import type { AccountEvent, LedgerEvent } from '../../../lambdas/domain/events.ts';
import { CURRENT_SCHEMA_VERSION } from '../../../lambdas/domain/events.ts';
import { PAYMENT } from '../../../lambdas/domain/payments/payment.ts';
import { TRANSFER } from '../../../lambdas/domain/transfer.ts';
import { replay, stored } from '../../support/decider-spec.ts';

const legs = { transferId: 'tr_1', debitAccountId: 'a', creditAccountId: 'b', currency: 'USD' };

describe('aggregates', () => {
  it('each declare exactly the event types of their stream, and together every event type', () => {
    const all = new Set([...ACCOUNT.eventTypes, ...TRANSFER.eventTypes, ...PAYMENT.eventTypes]);
    expect([...all].sort()).toEqual(Object.keys(CURRENT_SCHEMA_VERSION).sort());
    for (const type of TRANSFER.eventTypes) expect(ACCOUNT.eventTypes.has(type)).toBe(true);
    for (const type of PAYMENT.eventTypes) expect(ACCOUNT.eventTypes.has(type)).toBe(false);
  });

  it('fail on an event that arrives before the stream is opened, instead of dropping it', () => {
    expect(() =>
      replay(ACCOUNT, [{ type: 'AccountFrozen', payload: { accountId: 'a', reason: 'x' } }]),
    ).toThrow(EventBeforeOpeningError);
    expect(() =>
      replay(TRANSFER, [{ type: 'PendingTransferVoided', payload: { ...legs, pendingAmount: 1 } }]),
    ).toThrow(EventBeforeOpeningError);
    expect(() =>
      replay(PAYMENT, [{ type: 'ReservationVoided', payload: { paymentId: 'p', transferId: null } }]),
    ).toThrow(/ReservationVoided at payment#tenant-a#x v1 precedes the stream's opening event/);
  });

  it("fail on another stream's event read from their stream", () => {
    const foreign: LedgerEvent = { type: 'FundsReserved', payload: { paymentId: 'p', transferId: 't' } };
    const event = stored(foreign, { type: 'account', tenantId: 'tenant-a', id: 'a' }, 1);
    expect(() => evolveAccount(null, event)).toThrow(ForeignEventError);
  });

  it('apply a transfer leg to the side the account plays', () => {
    const opened = (accountId: string): AccountEvent => ({
      type: 'AccountOpened',
      payload: {
        accountId,
        currency: 'USD',
        kind: 'internal',
        flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
      },
    });
    const pending: AccountEvent = {
      type: 'TransferPending',
      payload: { ...legs, amount: 70, purpose: 'transfer', reference: null, expiresAt: null },
    };
    expect(replay(ACCOUNT, [opened('a'), pending], 'a')).toMatchObject({ debitsPending: 70, version: 2 });
    expect(replay(ACCOUNT, [opened('b'), pending], 'b')).toMatchObject({ creditsPending: 70, version: 2 });
  });
});

describe('corrupt streams', () => {
  it('say which event broke the stream, and where', () => {
    const foreign: LedgerEvent = { type: 'FundsReserved', payload: { paymentId: 'p', transferId: 't' } };
    const event = stored(foreign, { type: 'account', tenantId: 'tenant-a', id: 'a' }, 3);
    expect(() => evolveAccount(null, event)).toThrow(
      'FundsReserved at account#tenant-a#a does not belong to a account stream',
    );
    expect(new ForeignEventError(event, 'account').name).toBe('ForeignEventError');
    expect(new EventBeforeOpeningError(event).name).toBe('EventBeforeOpeningError');
  });

  it("fail in each aggregate's own evolve on a type it does not handle (what the compiler cannot see)", () => {
    // JSON.parse stands for an event read past the store boundary's check.
    const unknown = JSON.parse('{"type":"Nonsense","payload":{},"version":2}');
    expect(() => ACCOUNT.evolve(null, unknown)).toThrow(
      'Unhandled case {"type":"Nonsense","payload":{},"version":2}',
    );
    for (const aggregate of [ACCOUNT, TRANSFER, PAYMENT]) {
      // A payment event needs an opened payment first; any non-null state reaches the switch.
      expect(() => aggregate.evolve(JSON.parse('{}'), unknown), aggregate.streamType).toThrow(
        /^Unhandled case/,
      );
    }
  });
});
