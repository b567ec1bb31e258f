import { describe, expect, it } from 'vitest';
import { UnknownEventTypeError, upcast } from '../../../lambdas/domain/events.ts';

describe('upcasting', () => {
  it('reads a v1 AccountOpened (no kind, no flags) as a customer account with the default limit', () => {
    const event = upcast({
      type: 'AccountOpened',
      schemaVersion: 1,
      payload: { accountId: 'a', currency: 'USD' },
    });
    expect(event).toEqual({
      type: 'AccountOpened',
      payload: {
        accountId: 'a',
        currency: 'USD',
        kind: 'customer',
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
      },
    });
  });

  it('leaves a current event as it is', () => {
    const payload = { accountId: 'a', reason: 'kyc' };
    expect(upcast({ type: 'AccountFrozen', schemaVersion: 1, payload })).toEqual({
      type: 'AccountFrozen',
      payload,
    });
  });

  it('refuses unknown types and versions newer than the code', () => {
    expect(() => upcast({ type: 'Nope', schemaVersion: 1, payload: {} })).toThrow(UnknownEventTypeError);
    expect(() => upcast({ type: 'AccountFrozen', schemaVersion: 2, payload: {} })).toThrow(/newer/);
  });
});
