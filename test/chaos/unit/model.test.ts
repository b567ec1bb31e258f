import { describe, expect, it } from 'vitest';
import {
  applyOpenTransfer,
  applyResolution,
  emptyModel,
  expectOpenTransfer,
  expectPost,
  expectVoid,
  type ModelAccount,
  type ModelTransfer,
} from '../model.ts';

const account = (id: string, creditsPosted: number): ModelAccount => ({
  id,
  currency: 'USD',
  kind: 'customer',
  status: 'open',
  debitsPending: 0,
  debitsPosted: 0,
  creditsPending: 0,
  creditsPosted,
});

describe('the chaos model', () => {
  it('refuses a transfer for its currencies before the accounts are frozen, as the ledger does (seed 5)', () => {
    const frozen = { ...account('a', 1_000), status: 'frozen' as const };
    const euros = { ...account('b', 0), currency: 'EUR' as const };
    expect(expectOpenTransfer(frozen, euros, 10, 'USD')).toEqual({ ok: false, code: 'currency-mismatch' });
    expect(expectOpenTransfer(frozen, account('c', 0), 10, 'USD')).toEqual({
      ok: false,
      code: 'account-frozen',
    });
  });

  it('a reservation posted again as it was (its own resolution) is answered ok and moves nothing', () => {
    const model = emptyModel();
    const a = account('a', 1_000);
    const b = account('b', 0);
    model.accounts.push(a, b);
    const t: ModelTransfer = {
      id: 't',
      debit: 'a',
      credit: 'b',
      amount: 510,
      twoPhase: true,
      status: 'pending',
      postedAmount: 0,
    };
    applyOpenTransfer(model, t);
    expect(a).toMatchObject({ debitsPending: 510 });
    expect(expectPost(model, t, 510)).toEqual({ ok: true });
    applyResolution(model, t, 'posted', 510);
    expect(a).toMatchObject({ debitsPending: 0, debitsPosted: 510 });
    expect(expectPost(model, t, 510)).toEqual({ ok: true });
    applyResolution(model, t, 'posted', 510);
    expect(a).toMatchObject({ debitsPending: 0, debitsPosted: 510 });
    expect(b).toMatchObject({ creditsPending: 0, creditsPosted: 510 });
    expect(expectPost(model, t, 500)).toEqual({ ok: false, code: 'transfer-already-resolved' });
    expect(expectVoid(t)).toEqual({ ok: false, code: 'transfer-already-resolved' });
  });
});
