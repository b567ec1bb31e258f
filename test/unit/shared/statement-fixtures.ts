import type { Posting } from '../../../lambdas/domain/projections/read-model.ts';

/** A history row, USD 12.34 credited unless told otherwise. */
export const posting = (overrides: Partial<Posting> = {}): Posting => ({
  accountId: 'acc_1',
  transferId: 'tr_1',
  postedAt: '2026-12-01T10:00:00.000Z',
  type: 'TransferPosted',
  direction: 'credit',
  amount: 1234,
  currency: 'USD',
  counterpartyAccountId: 'acc_2',
  postedBalanceAfter: 1234,
  accountVersion: 2,
  ...overrides,
});
