import { z } from 'zod';
import { amount, currency, id, limit } from './schemas.ts';

/** Payment request bodies and queries: the one definition that validates them. */

export const createPaymentBody = z.strictObject({
  payerAccountId: id,
  merchantAccountId: id,
  amount,
  currency,
  /** The processor's card token (e.g. `pm_card_visa`): never card data. */
  paymentMethod: z.string().regex(/^pm_[A-Za-z0-9_]{1,60}$/, "a processor token such as 'pm_card_visa'"),
  description: z.string().min(1).max(256).optional(),
});

export const refundPaymentBody = z.strictObject({ amount });

export const PAYMENT_STATUSES = ['pending', 'reserved', 'captured', 'settled', 'failed'] as const;

export const listPaymentsQuery = z.strictObject({
  status: z.enum(PAYMENT_STATUSES).optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit,
});

/** The list cursor holds the last row's sort key (`<createdAt>#<paymentId>`). */
export const paymentsCursor = z.strictObject({ k: z.string().min(1).max(200) });
