import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { CORRELATION_ATTRIBUTE } from '../../composition/merchants.ts';
import { type DeliveryPorts, type DeliveryWorkerDeps, deliveryWorker } from '../../composition/workers.ts';
import type { MerchantNotification } from '../../domain/notifications.ts';
import type { DeliveryAttempt } from '../../domain/webhooks.ts';
import { logger } from '../../shared/api.ts';
import { BUSINESS_METRICS } from '../../shared/metrics.ts';
import { processQueueBatch, receiveCountOf } from '../../shared/sqs-batch.ts';
import { signWebhook } from '../../shared/webhook-signature.ts';
import { webhookUrlProblem } from '../../shared/webhook-url.ts';
import { idempotentRecord } from '../../shared/workers.ts';
import { countingAbsorbedFaults } from './absorbed-faults.ts';

export type { DeliveryPorts, DeliveryWorkerDeps };

/** The header that tells the merchant which request (or processor event) this notification goes back to. */
export const CORRELATION_HEADER = 'X-Ledgerline-Correlation-Id';

/** The header merchants verify (`t=…,v1=…`, HMAC-SHA256 over `t.body`, as the processor signs ours). */
export const SIGNATURE_HEADER = 'ledgerline-signature';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const notificationSchema = z.object({
  notificationId: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/),
  tenantId: z.string().min(1).max(64),
  merchantAccountId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  type: z.enum([
    'payment.settled',
    'payment.failed',
    'payment.refunded',
    'dispute.opened',
    'dispute.won',
    'dispute.lost',
  ]),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), scalar),
});

/** The merchant's endpoint did not take the notification: retried with backoff until the DLQ. */
export class DeliveryFailedError extends Error {
  override readonly name = 'DeliveryFailedError';
}

export type DeliveryResult =
  | { readonly outcome: 'delivered'; readonly statusCode: number; readonly attempt: number }
  | { readonly outcome: 'skipped'; readonly reason: string };

interface DeliveryInput {
  readonly notification: MerchantNotification;
  /** The message's receive count. Not part of the idempotency key. */
  readonly attempt: number;
  /** The correlation id the message carries (an attribute); not part of the idempotency key. */
  readonly correlationId?: string | undefined;
}

/** The JSON a merchant receives. */
export function notificationBody(notification: MerchantNotification): string {
  return JSON.stringify({
    id: notification.notificationId,
    type: notification.type,
    occurredAt: notification.occurredAt,
    merchantAccountId: notification.merchantAccountId,
    data: notification.data,
  });
}

/**
 * Delivers one notification: signs it with the merchant's secret and POSTs it, with a timeout and
 * without following redirects. Every attempt is recorded. A notification with nowhere to go (no
 * endpoint, or a URL the current rules refuse) is recorded as skipped and not retried; an endpoint
 * that fails or does not answer in time throws, so the message is retried.
 */
export async function deliver(ports: DeliveryPorts, input: DeliveryInput): Promise<DeliveryResult> {
  const { notification, attempt, correlationId } = input;
  const started = ports.now();
  const base = {
    tenantId: notification.tenantId,
    merchantAccountId: notification.merchantAccountId,
    notificationId: notification.notificationId,
    type: notification.type,
    attempt,
    at: started.toISOString(),
  };
  const record = (fields: Pick<DeliveryAttempt, 'outcome' | 'statusCode' | 'error' | 'url'>) => {
    ports.metrics?.record(BUSINESS_METRICS.webhookDeliveries, {
      dimensions: { Outcome: fields.outcome },
      properties: { notificationId: notification.notificationId, attempt, correlationId },
    });
    return ports.log.record({
      ...base,
      ...fields,
      durationMs: Math.max(0, ports.now().getTime() - started.getTime()),
    });
  };

  const endpoint = await ports.endpoints.getForDelivery(
    notification.tenantId,
    notification.merchantAccountId,
  );
  const skip = async (reason: string, url: string | null): Promise<DeliveryResult> => {
    await record({ outcome: 'skipped', statusCode: null, error: reason, url });
    return { outcome: 'skipped', reason };
  };
  if (!endpoint) return skip('no webhook endpoint is registered', null);
  const problem = webhookUrlProblem(endpoint.url, ports.allowLoopbackHttp);
  if (problem) return skip(`the endpoint URL is refused: ${problem}`, endpoint.url);

  const body = notificationBody(notification);
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    if (await ports.resolvesInternally(new URL(endpoint.url))) {
      return skip('the endpoint resolves to an internal address', endpoint.url);
    }
    const response = await ports.fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Ledgerline-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(endpoint.signingSecret, body, Math.floor(started.getTime() / 1000)),
        'ledgerline-notification-id': notification.notificationId,
        ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
      },
      body,
      // Never follow a redirect: it could lead anywhere, including inside. A 3xx is a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(ports.timeoutMs),
    });
    statusCode = response.status;
    await response.body?.cancel().catch(() => undefined);
    if (statusCode < 200 || statusCode >= 300) {
      error = statusCode >= 300 && statusCode < 400 ? 'redirects are not followed' : `HTTP ${statusCode}`;
    }
  } catch (cause) {
    const name = (cause as Error).name;
    error =
      name === 'TimeoutError'
        ? `no answer within ${ports.timeoutMs} ms`
        : `${name}: ${(cause as Error).message}`;
  }

  logger.info('Merchant notification sent', {
    correlationId,
    notificationId: notification.notificationId,
    attempt,
    statusCode,
    error,
  });
  if (error === null && statusCode !== null) {
    try {
      await record({ outcome: 'delivered', statusCode, error: null, url: endpoint.url });
    } catch (recordError) {
      // Delivered is delivered: a failed log write must not make us send it again.
      logger.error('Could not record a successful delivery', {
        notificationId: notification.notificationId,
        recordError,
      });
    }
    return { outcome: 'delivered', statusCode, attempt };
  }
  await record({ outcome: 'failed', statusCode, error, url: endpoint.url });
  throw new DeliveryFailedError(`${notification.notificationId} attempt ${attempt}: ${error}`);
}

/**
 * Keyed on the tenant and the notification id: once delivered (or skipped), the stored result answers every later
 * copy, so a merchant never gets it twice; a copy that arrives while another is being delivered
 * meets its lock (IdempotencyAlreadyInProgressError) and is sent again, delayed past it (processQueueBatch).
 */
const idempotent = idempotentRecord(
  // Notification ids are unique per tenant only: the tenant is part of the key.
  { tenant: 'notification.tenantId', id: 'notification.notificationId' },
  (input: DeliveryInput, deps: DeliveryWorkerDeps) => deliver(deps.ports, input),
);

export function parseNotification(record: SQSRecord): MerchantNotification {
  const parsed = notificationSchema.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new Error(`Message ${record.messageId} is not a merchant notification`);
  return parsed.data as MerchantNotification;
}

/** The delivery worker: a batch of notifications, each delivered once, failures retried with backoff. */
export async function main(
  event: SQSEvent,
  deps: DeliveryWorkerDeps,
  context: Context,
): Promise<SQSBatchResponse> {
  const { run, register } = idempotent(deps.idempotency);
  register(context);
  deps.startInvocation();
  return processQueueBatch(event, context, deps.queue, (record) =>
    countingAbsorbedFaults(deps.metrics, record, () =>
      run(
        {
          notification: parseNotification(record),
          attempt: receiveCountOf(record),
          correlationId: record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue,
        },
        deps,
      ),
    ),
  );
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return main(event, deliveryWorker(), context);
};
