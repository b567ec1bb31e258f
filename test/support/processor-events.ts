import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { findDeadLetterQueue, localDeadLetterQueues } from '../../cli/dlq-operations.ts';
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

/**
 * Puts `event` straight on the local runtime's processor-events queue as the receiver would have, but
 * received four days ago: past the three days an early event waits for its predecessor, so a dispute lost
 * before it opened fails like any other message and reaches the DLQ (the DLQ tests' poison).
 */
export async function enqueueStaleProcessorEvent(
  local: { readonly sqsEndpoint: string; readonly cdkOut: string },
  event: Record<string, unknown> & { readonly id: string; readonly type: string },
  tenantId: string,
): Promise<void> {
  const queue = findDeadLetterQueue(
    localDeadLetterQueues(local.cdkOut, local.sqsEndpoint),
    'ProcessorEvents',
  );
  const client = new SQSClient({
    endpoint: local.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
  const receivedAt = new Date(Date.now() - 4 * 24 * 3600_000).toISOString();
  try {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queue.sourceUrl ?? '',
        MessageBody: JSON.stringify({ eventId: event.id, tenantId, type: event.type, receivedAt, event }),
      }),
    );
  } finally {
    client.destroy();
  }
}
