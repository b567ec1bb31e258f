import { z } from 'zod';
import { PAYMENT_STATUSES } from './payment-schemas.ts';
import {
  presentAccount,
  presentDailyTotals,
  presentEvent,
  presentPosting,
  presentTransfer,
} from './present.ts';
import { presentPayment, presentRefund } from './present-payment.ts';
import { presentDelivery, presentEndpoint } from './present-webhooks.ts';

/**
 * Response bodies: what the presenters answer, declared once. The OpenAPI document is generated
 * from these (and the request schemas), and the integration suite checks every response against it.
 * The `fits` calls below make a presenter that drifts from its schema a type error.
 */

/** An integer count of minor units (balances may be negative on an internal account). */
const minorUnits = z.number().int();
const positiveMinorUnits = z.number().int().positive();
const time = z.string().describe('ISO 8601 instant, UTC');
const currency = z.string().describe('ISO 4217 code');

export const accountResponse = z
  .object({
    id: z.string(),
    currency,
    kind: z.enum(['customer', 'merchant', 'internal']),
    status: z.enum(['open', 'frozen', 'closed']),
    flags: z.object({ debitsMustNotExceedCredits: z.boolean(), creditsMustNotExceedDebits: z.boolean() }),
    balances: z.object({
      debitsPending: minorUnits,
      debitsPosted: minorUnits,
      creditsPending: minorUnits,
      creditsPosted: minorUnits,
      available: minorUnits.describe('creditsPosted - debitsPosted - debitsPending'),
    }),
    version: z.number().int().positive(),
    createdAt: time,
  })
  .meta({ id: 'Account', description: 'An account with its balances, in minor units' });

export const transferResponse = z
  .object({
    id: z.string(),
    status: z.enum(['posted', 'pending', 'voided', 'expired']),
    purpose: z.enum(['transfer', 'deposit', 'withdrawal']),
    pending: z.boolean().describe('created as a reservation (two-phase)'),
    debitAccountId: z.string(),
    creditAccountId: z.string(),
    amount: positiveMinorUnits,
    postedAmount: minorUnits,
    currency,
    reference: z.string().nullable(),
    expiresAt: time.nullable(),
    createdAt: time,
    resolvedAt: time.nullable(),
  })
  .meta({ id: 'Transfer' });

export const eventResponse = z
  .object({
    stream: z
      .string()
      .describe('the stream it was appended to: the account id, or one of its shards (`<id>~<k>`)'),
    version: z.number().int().positive(),
    eventId: z.string(),
    type: z.string(),
    schemaVersion: z.number().int().positive(),
    occurredAt: time,
    correlationId: z.string(),
    causationId: z.string(),
    actor: z.string(),
    payload: z.unknown().describe('an object whose shape depends on type'),
  })
  .meta({ id: 'AccountEvent', description: 'One event of the audit trail, as stored' });

export const postingResponse = z
  .object({
    transferId: z.string(),
    postedAt: time,
    type: z.enum(['TransferPosted', 'PendingTransferPosted']),
    direction: z.enum(['debit', 'credit']),
    amount: positiveMinorUnits,
    currency,
    counterpartyAccountId: z.string(),
    postedBalanceAfter: minorUnits
      .nullable()
      .describe(
        'the posted balance right after; null on a sharded account (its legs land on several streams)',
      ),
    accountVersion: z.number().int().positive().describe('the version of the posting event in its stream'),
    stream: z.string().optional().describe('the shard it landed on, for a sharded account'),
  })
  .meta({ id: 'Posting', description: 'One row of an account’s history' });

export const dailyTotalsResponse = z
  .object({
    day: z.string().describe('YYYY-MM-DD, UTC'),
    currency,
    count: z.number().int().nonnegative(),
    debits: minorUnits,
    credits: minorUnits,
    deposits: minorUnits,
    withdrawals: minorUnits,
  })
  .meta({ id: 'DailyTotals' });

export const refundResponse = z
  .object({
    id: z.string(),
    paymentId: z.string(),
    amount: positiveMinorUnits,
    status: z.enum(['requested', 'succeeded', 'failed']),
    processorRefundId: z.string().nullable(),
    reason: z.string().nullable(),
    requestedAt: time,
  })
  .meta({ id: 'Refund' });

export const paymentResponse = z
  .object({
    id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    payerAccountId: z.string(),
    merchantAccountId: z.string(),
    amount: positiveMinorUnits,
    currency,
    fee: minorUnits,
    paymentMethod: z.string(),
    description: z.string().nullable(),
    processorPaymentId: z.string().nullable(),
    risk: z
      .object({ decision: z.enum(['approved', 'rejected']), reasons: z.array(z.string()).readonly() })
      .nullable(),
    transferIds: z.array(z.string()),
    failure: z
      .object({
        reason: z.string().describe('a stable code, never balances or other parties’ ids'),
        failedStep: z.enum([
          'ReserveFunds',
          'AssessRisk',
          'CaptureAtProcessor',
          'PostTransfer',
          'NotifyMerchant',
        ]),
        compensations: z.array(z.enum(['RefundAtProcessor', 'VoidReservation'])).readonly(),
      })
      .nullable(),
    reservationVoided: z.boolean(),
    captureRefund: z
      .object({
        outcome: z.enum(['refunded', 'nothing-to-refund']),
        processorRefundId: z.string().nullable(),
      })
      .nullable(),
    refundedAmount: minorUnits,
    refunds: z.array(refundResponse),
    createdAt: time,
    updatedAt: time,
    version: z.number().int().positive(),
  })
  .meta({ id: 'Payment' });

export const webhookEndpointResponse = z
  .object({
    id: z.string(),
    merchantAccountId: z.string(),
    url: z.string(),
    createdAt: time,
    secretHint: z.string().describe('the last four characters of the signing secret'),
  })
  .meta({ id: 'WebhookEndpoint' });

export const registeredWebhookEndpointResponse = webhookEndpointResponse
  .extend({ secret: z.string().describe('the signing secret, shown this once') })
  .meta({ id: 'RegisteredWebhookEndpoint' });

export const deliveryResponse = z
  .object({
    notificationId: z.string(),
    type: z.string(),
    attempt: z.number().int().positive(),
    outcome: z.enum(['delivered', 'failed', 'skipped']),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().nonnegative(),
    at: time,
    url: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const webhookReceiptResponse = z
  .object({ received: z.literal(true), eventId: z.string(), duplicate: z.boolean(), handled: z.boolean() })
  .meta({ id: 'WebhookReceipt' });

export const openApiDocumentResponse = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) })
  .meta({ id: 'OpenApiDocument', description: 'This document' });

/** A page of a list: `nextCursor` is null on the last page. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const dailyReportResponse = z.object({ data: z.array(dailyTotalsResponse) });

/** RFC 9457 problem details; members beyond the standard ones help the caller (e.g. `errors`). */
export const problemResponse = z
  .looseObject({
    type: z.string().describe('urn:ledgerline:problem:<code>, stable per error'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

/** What API Gateway itself answers (no key, throttled, too large, timed out): not problem+json. */
export const gatewayErrorResponse = z.object({ message: z.string().nullable() }).meta({ id: 'GatewayError' });

/** Compile time only: `present`'s output is what `schema` accepts. */
function fits<S extends z.ZodType>(_schema: S, _present: (...args: never[]) => z.input<S>): void {}
fits(accountResponse, presentAccount);
fits(transferResponse, presentTransfer);
fits(eventResponse, presentEvent);
fits(postingResponse, presentPosting);
fits(dailyTotalsResponse, presentDailyTotals);
fits(paymentResponse, presentPayment);
fits(refundResponse, presentRefund);
fits(webhookEndpointResponse, presentEndpoint);
fits(deliveryResponse, presentDelivery);
