import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { loseDispute, openDispute, winDispute } from '../../application/disputes.ts';
import { retryOnConflict, withCache } from '../../application/retry.ts';
import type { CommandContext } from '../../application/unit-of-work.ts';
import { COMMAND_CONFLICT_RETRY } from '../../composition/ledger.ts';
import { CORRELATION_ATTRIBUTE } from '../../composition/merchants.ts';
import {
  type PaymentResults,
  type ProcessorEventPorts,
  type ProcessorEventsWorkerDeps,
  processorEventsWorker,
} from '../../composition/workers.ts';
import { AwaitingPredecessorError, LedgerError } from '../../domain/errors.ts';
import type { MerchantNotification } from '../../domain/notifications.ts';
import type { LedgerPorts } from '../../domain/ports.ts';
import type { TransferState } from '../../domain/transfer.ts';
import { logger } from '../../shared/api.ts';
import { LEDGER_METRICS } from '../../shared/metrics.ts';
import {
  type InboundMessage,
  inboundMessage,
  type ProcessorEvent,
  parkDelaySeconds,
  processorEvent,
} from '../../shared/processor-events.ts';
import { processQueueBatch, sendLater } from '../../shared/sqs-batch.ts';
import { idempotentRecord } from '../../shared/workers.ts';
import { countingAbsorbedFaults } from './absorbed-faults.ts';

export type { PaymentResults, ProcessorEventPorts, ProcessorEventsWorkerDeps };

/** The stored result of one processor event: replayed as is for a duplicate. */
export type ApplyResult =
  | { readonly outcome: 'applied'; readonly eventId: string; readonly type: string }
  | { readonly outcome: 'rejected'; readonly eventId: string; readonly code: string };

/** A message the receiver could not have produced: retried, then left in the DLQ for a look. */
export class MalformedInboundMessageError extends Error {
  override readonly name = 'MalformedInboundMessageError';
}

function disputeNotification(
  event: Extract<ProcessorEvent, { type: `dispute.${string}` }>,
  hold: TransferState,
  occurredAt: string,
): MerchantNotification {
  const outcome = event.type.slice('dispute.'.length);
  return {
    notificationId: `dispute.${event.data.disputeId}.${outcome}`,
    tenantId: event.metadata.tenantId,
    merchantAccountId: event.metadata.merchantAccountId,
    type: event.type,
    occurredAt,
    data: {
      disputeId: event.data.disputeId,
      amount: event.data.amount,
      currency: event.data.currency,
      paymentId: event.metadata.paymentId ?? null,
      holdTransferId: hold.id,
      holdStatus: hold.status,
    },
  };
}

/** A queued event with the correlation id its message carried (an attribute, not part of the idempotency key). */
export type CorrelatedMessage = InboundMessage & { readonly correlationId?: string | undefined };

async function applyEffect(
  ports: ProcessorEventPorts,
  event: ProcessorEvent,
  ctx: CommandContext,
): Promise<void> {
  // Each command's attempts share a load cache: a retry re-reads only the events after what it had.
  const retrying = <T>(run: (ledger: LedgerPorts) => Promise<T>) =>
    retryOnConflict((cache) => run(withCache({ ports: ports.ledger }, cache).ports), COMMAND_CONFLICT_RETRY);
  const occurredAt = new Date(event.created * 1000).toISOString();
  switch (event.type) {
    case 'dispute.opened':
    case 'dispute.lost':
    case 'dispute.won': {
      const { disputeId } = event.data;
      const hold = await retrying((ledger) => {
        if (event.type === 'dispute.opened') {
          return openDispute(ledger, ctx, {
            disputeId,
            merchantAccountId: event.metadata.merchantAccountId,
            amount: event.data.amount,
            currency: event.data.currency,
          });
        }
        return event.type === 'dispute.lost'
          ? loseDispute(ledger, ctx, { disputeId })
          : winDispute(ledger, ctx, { disputeId });
      });
      // After the ledger: a failed enqueue retries the record, the ledger step replays as a no-op,
      // and the delivery worker is idempotent on the notification id.
      await ports.notifier.enqueue(disputeNotification(event, hold, occurredAt), {
        correlationId: ctx.correlationId,
      });
      return;
    }
    case 'capture.confirmed':
      await retrying((ledger) =>
        ports.payments.confirmCapture(ledger, ctx, {
          paymentId: event.metadata.paymentId,
          processorPaymentId: event.data.processorPaymentId,
        }),
      );
      return;
    case 'refund.succeeded':
    case 'refund.failed':
      await retrying((ledger) =>
        ports.payments.recordRefundResult(ledger, ctx, {
          paymentId: event.metadata.paymentId,
          refundId: event.data.refundId,
          outcome: event.type === 'refund.succeeded' ? 'succeeded' : 'failed',
        }),
      );
      return;
    default: {
      const never: never = event;
      throw new Error(`Unhandled processor event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Applies one processor event. A payload that fails validation, or a ledger rule that says no
 * (unknown merchant, not a merchant, dispute resolved the other way, ...), is a permanent rejection:
 * recorded on the event's inbox item, and the record succeeds. Anything else throws, to be retried.
 */
export async function applyProcessorEvent(
  ports: ProcessorEventPorts,
  message: CorrelatedMessage,
): Promise<ApplyResult> {
  const at = () => ports.ledger.clock.now().toISOString();
  const reject = async (code: string, detail: string): Promise<ApplyResult> => {
    // Something the processor did that the ledger did not book: never silent, the stack alarms on it.
    const details = {
      eventId: message.eventId,
      tenantId: message.tenantId,
      type: message.type,
      code,
      detail,
    };
    logger.error('Processor event rejected', details);
    ports.rejected?.(details);
    await ports.inbox.record(message.eventId, { outcome: 'rejected', at: at(), code, detail });
    return { outcome: 'rejected', eventId: message.eventId, code };
  };
  const parsed = processorEvent.safeParse(message.event);
  if (!parsed.success) {
    return reject(
      'invalid-payload',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  const event = parsed.data;
  if (event.id !== message.eventId || event.metadata.tenantId !== message.tenantId) {
    return reject('envelope-mismatch', 'The queued envelope does not match the signed event.');
  }
  const ctx: CommandContext = {
    tenantId: event.metadata.tenantId,
    // The webhook request that brought it; a message without one (parked, older) correlates by its payment.
    correlationId: message.correlationId ?? event.metadata.paymentId ?? event.id,
    causationId: event.id,
    actor: 'processor-webhook',
  };
  try {
    await applyEffect(ports, event, ctx);
  } catch (error) {
    if (error instanceof LedgerError) return reject(error.code, error.message);
    throw error;
  }
  await ports.inbox.record(event.id, { outcome: 'applied', at: at() });
  return { outcome: 'applied', eventId: event.id, type: event.type };
}

/**
 * Keyed on the tenant and the processor's event id: the same event, however often it is queued, is
 * applied once, and one tenant's event id never answers for another tenant's.
 */
const idempotent = idempotentRecord(
  { tenant: 'tenantId', id: 'eventId' },
  (message: CorrelatedMessage, deps: ProcessorEventsWorkerDeps) => applyProcessorEvent(deps.ports, message),
);

/** Parses a queued message; one the receiver could not have produced goes (after retries) to the DLQ. */
export function parseInboundMessage(record: SQSRecord): InboundMessage {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new MalformedInboundMessageError(`Message ${record.messageId} is not JSON`);
  }
  const parsed = inboundMessage.safeParse(body);
  if (!parsed.success)
    throw new MalformedInboundMessageError(`Message ${record.messageId} is not an inbound event`);
  return parsed.data;
}

/** What a record came to, when it did not throw. */
export type RecordResult =
  | ApplyResult
  | { readonly outcome: 'parked'; readonly eventId: string; readonly delaySeconds: number };

/**
 * Applies a queued event once; one that came before its predecessor is parked: sent back to the queue
 * with a growing delay (its idempotency record was released when it threw, so it runs again when it
 * returns), for as long as the parking window allows. Then it fails like any other, toward the DLQ.
 */
async function handleRecord(
  record: SQSRecord,
  deps: ProcessorEventsWorkerDeps,
  run: (message: CorrelatedMessage, deps: ProcessorEventsWorkerDeps) => Promise<ApplyResult>,
  functionName: string,
): Promise<RecordResult> {
  const message = parseInboundMessage(record);
  const correlationId = record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue;
  try {
    return await run({ ...message, correlationId }, deps);
  } catch (error) {
    if (!(error instanceof AwaitingPredecessorError)) throw error;
    const delaySeconds = parkDelaySeconds(deps.parking, message, deps.ports.ledger.clock.now());
    if (delaySeconds === null) throw error;
    const parked = (message.parked ?? 0) + 1;
    await sendLater(deps.queue, { ...message, parked }, delaySeconds);
    const details = { eventId: message.eventId, tenantId: message.tenantId, type: message.type, parked };
    logger.info('Processor event parked until its predecessor arrives', { ...details, delaySeconds, error });
    deps.metrics.count(LEDGER_METRICS.processorEventsParked, functionName, details);
    return { outcome: 'parked', eventId: message.eventId, delaySeconds };
  }
}

/** The inbound worker: a batch of processor events, each applied once, failures reported per record. */
export async function main(
  event: SQSEvent,
  deps: ProcessorEventsWorkerDeps,
  context: Context,
): Promise<SQSBatchResponse> {
  const { run, register } = idempotent(deps.idempotency);
  register(context);
  const { functionName } = context;
  const rejected = (details: Readonly<Record<string, unknown>>) =>
    deps.metrics.count(LEDGER_METRICS.processorEventsRejected, functionName, details);
  const bound = { ...deps, ports: { ...deps.ports, rejected } };
  return processQueueBatch(event, context, deps.queue, (record) =>
    countingAbsorbedFaults(deps.metrics, record, () => handleRecord(record, bound, run, functionName)),
  );
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return main(event, processorEventsWorker(), context);
};
