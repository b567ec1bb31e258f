/** Risk limits of one tenant. */
export interface RiskLimits {
  /** The largest single payment, in minor units of any currency. */
  readonly maxAmount: number;
  /** At most this many payments per payer within `velocityWindowSeconds` (this one included). */
  readonly maxPaymentsPerPayer: number;
  readonly velocityWindowSeconds: number;
}

/** Risk limits: a default, and overrides per tenant. */
export interface RiskPolicy {
  readonly default: RiskLimits;
  readonly tenants?: Readonly<Record<string, Partial<RiskLimits>>>;
}

/** The limits that apply to a tenant. */
export function limitsFor(policy: RiskPolicy, tenantId: string): RiskLimits {
  return { ...policy.default, ...policy.tenants?.[tenantId] };
}

/** Counts recent payments per payer (a small counter table with TTL in production). */
export interface PaymentVelocity {
  /**
   * Records `paymentId` for the payer (idempotent: the same id counts once) and returns the number of
   * distinct payments of the payer in the window ending at `at`, this one included.
   */
  recordAndCount(input: {
    readonly tenantId: string;
    readonly payerAccountId: string;
    readonly paymentId: string;
    readonly at: Date;
    readonly windowSeconds: number;
  }): Promise<number>;
}

/** Reasons a payment is rejected; stable codes shown to the tenant. */
export type RiskReason = 'amount-over-tenant-limit' | 'payer-velocity-exceeded';

/** The rules, in plain terms: a single payment above the tenant's limit, or too many payments by one payer in the window. */
export function assessRules(
  limits: RiskLimits,
  facts: { readonly amount: number; readonly recentPaymentsByPayer: number },
): { decision: 'approved' | 'rejected'; reasons: RiskReason[] } {
  const reasons: RiskReason[] = [];
  if (facts.amount > limits.maxAmount) reasons.push('amount-over-tenant-limit');
  if (facts.recentPaymentsByPayer > limits.maxPaymentsPerPayer) reasons.push('payer-velocity-exceeded');
  return { decision: reasons.length === 0 ? 'approved' : 'rejected', reasons };
}

/** The fee in minor units: `bps` basis points of the amount, rounded down. */
export function feeFor(amount: number, bps: number): number {
  return Math.floor((amount * bps) / 10_000);
}
