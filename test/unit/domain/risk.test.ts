import { describe, expect, it } from 'vitest';
import { assessRules, feeFor, limitsFor } from '../../../lambdas/domain/payments/risk.ts';

const limits = { maxAmount: 1_000, maxPaymentsPerPayer: 3, velocityWindowSeconds: 60 };

describe('risk rules', () => {
  it('approve a payment at the limits, and reject one over either limit, naming each limit broken', () => {
    expect(assessRules(limits, { amount: 1_000, recentPaymentsByPayer: 3 })).toEqual({
      decision: 'approved',
      reasons: [],
    });
    expect(assessRules(limits, { amount: 1_001, recentPaymentsByPayer: 3 })).toEqual({
      decision: 'rejected',
      reasons: ['amount-over-tenant-limit'],
    });
    expect(assessRules(limits, { amount: 1, recentPaymentsByPayer: 4 })).toEqual({
      decision: 'rejected',
      reasons: ['payer-velocity-exceeded'],
    });
    expect(assessRules(limits, { amount: 5_000, recentPaymentsByPayer: 9 })).toEqual({
      decision: 'rejected',
      reasons: ['amount-over-tenant-limit', 'payer-velocity-exceeded'],
    });
  });

  it("take a tenant's overrides over the default, field by field", () => {
    const policy = { default: limits, tenants: { big: { maxAmount: 50_000 } } };
    expect(limitsFor(policy, 'big')).toEqual({ ...limits, maxAmount: 50_000 });
    expect(limitsFor(policy, 'small')).toEqual(limits);
    expect(limitsFor({ default: limits }, 'big')).toEqual(limits);
  });
});

describe('fees', () => {
  it('are basis points of the amount, rounded down', () => {
    expect(feeFor(10_000, 290)).toBe(290);
    expect(feeFor(999, 290)).toBe(28); // 28.971
    expect(feeFor(1_000, 0)).toBe(0);
  });
});
