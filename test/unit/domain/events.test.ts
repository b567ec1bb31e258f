import { describe, expect, it } from 'vitest';
import { splitStreamKey, streamKey, UnknownEventTypeError, upcast } from '../../../lambdas/domain/events.ts';

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

describe('upcasting errors', () => {
  it('name the unknown type, or the version no upcaster reads', () => {
    expect(() => upcast({ type: 'Nope', schemaVersion: 1, payload: {} })).toThrow(
      new UnknownEventTypeError("Unknown event type 'Nope'"),
    );
    expect(() => upcast({ type: 'AccountFrozen', schemaVersion: 0, payload: {} })).toThrow(
      new UnknownEventTypeError('No upcaster for AccountFrozen v0'),
    );
    expect(() => upcast({ type: 'AccountOpened', schemaVersion: 0, payload: {} })).toThrow(
      new UnknownEventTypeError('No upcaster for AccountOpened v0'),
    );
    expect(new UnknownEventTypeError('x').name).toBe('UnknownEventTypeError');
  });
});

describe('stream keys', () => {
  it('split back into type, tenant and id; the id may hold #', () => {
    const stream = { type: 'account', tenantId: 'tenant-a', id: 'acct_1#odd' } as const;
    expect(splitStreamKey(streamKey(stream))).toEqual(stream);
    expect(splitStreamKey('transfer#t#')).toEqual({ type: 'transfer', tenantId: 't', id: '' });
    // The type is not checked: an empty one still splits.
    expect(splitStreamKey('#t#x')).toEqual({ type: '', tenantId: 't', id: 'x' });
  });

  it('are nothing with fewer than three parts', () => {
    expect(splitStreamKey('account#t')).toBeNull();
    expect(splitStreamKey('account')).toBeNull();
  });
});
