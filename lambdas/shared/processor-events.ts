import { z } from 'zod';

/**
 * The card processor's webhook contract. Every event carries the `metadata` we attached to the
 * payment at capture (our `tenantId`, the merchant account and our payment id); the processor
 * echoes it back, and the HMAC proves the event comes from the processor, so the tenant taken from
 * it is as trustworthy as the signature.
 */

const id = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, "1-48 letters, digits, '_' or '-'");
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
/** Integer minor units; floats and strings are refused, never rounded. */
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** What we sent the processor with the capture, echoed on every event about that payment. */
const metadata = z.object({
  tenantId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  merchantAccountId: id.optional(),
  paymentId: id.optional(),
});

/** The event types we act on; anything else is stored and acknowledged, never enqueued. */
export const HANDLED_PROCESSOR_EVENT_TYPES = [
  'capture.confirmed',
  'refund.succeeded',
  'refund.failed',
  'dispute.opened',
  'dispute.won',
  'dispute.lost',
] as const;

export type ProcessorEventType = (typeof HANDLED_PROCESSOR_EVENT_TYPES)[number];

/** What the receiver needs to file and route an event: its id, type and tenant. */
export const processorEventEnvelope = z.object({
  id,
  type: z.string().min(1).max(64),
  created: z.number().int().positive(),
  metadata,
});

export type ProcessorEventEnvelope = z.infer<typeof processorEventEnvelope>;

const dispute = z.strictObject({
  disputeId: id,
  processorPaymentId: z.string().min(1).max(128),
  amount,
  currency,
  reason: z.string().max(256).optional(),
});

const withMerchant = metadata.extend({ merchantAccountId: id });
const withPayment = metadata.extend({ paymentId: id });

/** A processor event the worker applies, validated per type. */
export const processorEvent = z.discriminatedUnion('type', [
  z.object({
    id,
    type: z.literal('capture.confirmed'),
    created: z.number().int().positive(),
    metadata: withPayment,
    data: z.strictObject({ processorPaymentId: z.string().min(1).max(128) }),
  }),
  z.object({
    id,
    type: z.enum(['refund.succeeded', 'refund.failed']),
    created: z.number().int().positive(),
    metadata: withPayment,
    data: z.strictObject({
      refundId: id,
      processorRefundId: z.string().min(1).max(128).optional(),
      reason: z.string().max(256).optional(),
    }),
  }),
  z.object({
    id,
    type: z.enum(['dispute.opened', 'dispute.won', 'dispute.lost']),
    created: z.number().int().positive(),
    metadata: withMerchant,
    data: dispute,
  }),
]);

export type ProcessorEvent = z.infer<typeof processorEvent>;

/** What the receiver enqueues for the worker: the routing fields, then the event as received. */
export const inboundMessage = z.object({
  eventId: id,
  tenantId: z.string().min(1).max(64),
  type: z.string().min(1).max(64),
  receivedAt: z.iso.datetime(),
  event: z.unknown(),
  /** How often the worker parked it so far, waiting for its predecessor; absent until it is parked. */
  parked: z.number().int().min(1).max(10_000).optional(),
});

export type InboundMessage = z.infer<typeof inboundMessage>;

export function isHandledType(type: string): type is ProcessorEventType {
  return (HANDLED_PROCESSOR_EVENT_TYPES as readonly string[]).includes(type);
}

/** SQS delays a message by at most 15 minutes. */
export const MAX_PARK_DELAY_SECONDS = 900;

/**
 * How an event that came before its predecessor (a `dispute.lost` before its `dispute.opened`) waits:
 * it is sent back to its queue with a delay doubling from `baseSeconds` up to `capSeconds`, for as long
 * as `windowSeconds` after it was received; after that it fails like any other message and reaches the
 * DLQ (an operator redrives it once the predecessor is there).
 */
export interface ParkingPolicy {
  readonly baseSeconds: number;
  readonly capSeconds: number;
  readonly windowSeconds: number;
}

/** Seconds until a message parked `parkedBefore` times comes back, or null once its window is over. */
export function parkDelaySeconds(
  policy: ParkingPolicy,
  message: Pick<InboundMessage, 'receivedAt' | 'parked'>,
  now: Date,
): number | null {
  const waited = (now.getTime() - Date.parse(message.receivedAt)) / 1000;
  if (!(waited < policy.windowSeconds)) return null;
  const delay = policy.baseSeconds * 2 ** Math.min(message.parked ?? 0, 20);
  return Math.ceil(Math.min(delay, policy.capSeconds, MAX_PARK_DELAY_SECONDS));
}
