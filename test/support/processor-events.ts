import { signWebhook } from '../../lambdas/shared/webhook-signature.ts';

/** A processor dispute event as the card processor sends it (our metadata echoed back). */
export function disputeEvent(options: {
  id: string;
  type: 'dispute.opened' | 'dispute.won' | 'dispute.lost';
  tenantId: string;
  merchantAccountId: string;
  disputeId: string;
  amount: number;
  currency?: string;
  created?: number;
}): Record<string, unknown> {
  return {
    id: options.id,
    type: options.type,
    created: options.created ?? Math.floor(Date.now() / 1000),
    metadata: {
      tenantId: options.tenantId,
      merchantAccountId: options.merchantAccountId,
      paymentId: 'pay_1',
    },
    data: {
      disputeId: options.disputeId,
      processorPaymentId: 'ch_123',
      amount: options.amount,
      currency: options.currency ?? 'USD',
      reason: 'fraudulent',
    },
  };
}

/** The `x-processor-signature` header for `body`, signed now (or at `unixSeconds`). */
export function processorSignature(
  secret: string,
  body: string,
  unixSeconds = Math.floor(Date.now() / 1000),
) {
  return signWebhook(secret, body, unixSeconds);
}
