import { z } from 'zod';

/** Payment request bodies and queries: the one definition that validates them. */

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '_' or '-'");

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

const limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, 'an integer from 1 to 100')
  .transform(Number)
  .refine((n) => n <= 100, 'at most 100')
  .default(50);

export const listPaymentsQuery = z.strictObject({
  status: z.enum(PAYMENT_STATUSES).optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit,
});

/** The list cursor holds the last row's sort key (`<createdAt>#<paymentId>`). */
export const paymentsCursor = z.strictObject({ k: z.string().min(1).max(200) });
