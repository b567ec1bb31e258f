import { z } from 'zod';

/** Request bodies: the one definition that validates input (and will generate the OpenAPI document). */

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
/** Integer minor units; floats and strings are refused, never rounded. */
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '_' or '-'");
const reference = z.string().min(1).max(256);

export const openAccountBody = z.strictObject({
  currency,
  kind: z.enum(['customer', 'merchant', 'internal']).optional(),
  flags: z
    .strictObject({
      debitsMustNotExceedCredits: z.boolean().optional(),
      creditsMustNotExceedDebits: z.boolean().optional(),
    })
    .optional(),
});

export const moneyMovementBody = z.strictObject({ amount, currency, reference: reference.optional() });

export const createTransferBody = z
  .strictObject({
    id: id.optional(),
    debitAccountId: id,
    creditAccountId: id,
    amount,
    currency,
    pending: z.boolean().optional(),
    timeoutSeconds: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3600)
      .optional(),
    reference: reference.optional(),
  })
  .refine((body) => body.timeoutSeconds === undefined || body.pending === true, {
    message: 'timeoutSeconds applies only to a pending transfer',
    path: ['timeoutSeconds'],
  });

export const postTransferBody = z.strictObject({ amount: amount.optional() });

export const freezeAccountBody = z.strictObject({ reason: z.string().min(1).max(256) });
