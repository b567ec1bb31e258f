import { z } from 'zod';

/** Request bodies: the one definition that validates input (and will generate the OpenAPI document). */

/** Shared field schemas: payment-schemas.ts uses the same ones. */
export const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
/** Integer minor units; floats and strings are refused, never rounded. */
export const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '_' or '-'");
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

/** A merchant's webhook endpoint: an https URL (checked further by webhookUrlProblem). */
export const registerWebhookEndpointBody = z.strictObject({ url: z.string().min(1).max(2048) });

/** Query strings: the one definition that validates them. */

/** Page size: 1-100, default 50. */
export const limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, 'an integer from 1 to 100')
  .transform(Number)
  .refine((n) => n <= 100, 'at most 100')
  .default(50);

/** `?asOf=` a version (a positive integer) or an ISO 8601 instant with a time zone. */
export const getAccountQuery = z.strictObject({
  asOf: z
    .union([
      z
        .string()
        .regex(/^[1-9][0-9]{0,15}$/)
        .transform((v) => ({ version: Number(v) })),
      z.iso.datetime({ offset: true }).transform((time) => ({ time })),
    ])
    .optional(),
});

export const pageQuery = z.strictObject({ cursor: z.string().min(1).max(512).optional(), limit });

/** The events cursor holds the last version seen. */
export const eventsCursor = z.strictObject({
  /** The stream (its index in the account's documented order: main, then shards); absent = 0. */
  s: z.number().int().nonnegative().max(4096).optional(),
  v: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

/** The history cursor holds the last row's key: (postedAt, transferId). */
export const transactionsCursor = z.strictObject({
  postedAt: z.iso.datetime(),
  transferId: id,
});

const MAX_REPORT_DAYS = 366;
const day = z.iso.date();

export const dailyReportQuery = z
  .strictObject({ from: day, to: day, currency: currency.optional() })
  .refine((q) => q.from <= q.to, { message: "'from' must not be after 'to'", path: ['to'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_REPORT_DAYS, {
    message: `at most ${MAX_REPORT_DAYS} days`,
    path: ['to'],
  });
