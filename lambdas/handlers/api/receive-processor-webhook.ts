import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { processorWebhookReceiver, type ReceiverPorts } from '../../composition/webhooks.ts';
import { correlationIdOf, publicRoute } from '../../shared/api.ts';
import { ApiError, json } from '../../shared/problems.ts';
import { isHandledType, processorEventEnvelope } from '../../shared/processor-events.ts';
import { verifyWebhook } from '../../shared/webhook-signature.ts';

/** Larger bodies are refused before any work: the processor's events are a few KB. */
const MAX_BODY_BYTES = 64 * 1024;
const SIGNATURE_HEADER = 'x-processor-signature';

export type { ReceiverPorts };

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

/**
 * The exact bytes the processor signed, as text. API Gateway passes a text body through as is and
 * base64-encodes it only for binary media types; either way this is what was sent.
 */
function rawBodyOf(event: APIGatewayProxyEvent): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * POST /webhooks/processor: no API key (the processor has none); the HMAC over `t.rawBody` is the
 * authentication. Verified events are stored raw for audit (one item per processor event id, a
 * redelivery only counts up) and enqueued for the worker; the answer is 202 at once.
 */
export async function receive(event: APIGatewayProxyEvent, p: ReceiverPorts): Promise<APIGatewayProxyResult> {
  const rawBody = rawBodyOf(event);
  if (Buffer.byteLength(rawBody, 'utf8') > MAX_BODY_BYTES) {
    throw new ApiError(413, 'payload-too-large', `Webhook bodies are limited to ${MAX_BODY_BYTES} bytes.`);
  }
  const now = p.now();
  const check = verifyWebhook(
    await p.secrets(),
    header(event, SIGNATURE_HEADER),
    rawBody,
    now.getTime() / 1000,
  );
  if (!check.valid) {
    // One answer for every reason: the caller learns nothing about which part was wrong.
    throw new ApiError(401, 'invalid-signature', `The ${SIGNATURE_HEADER} header does not verify this body.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new ApiError(400, 'malformed-json', 'The request body is not valid JSON.');
  }
  const envelope = processorEventEnvelope.safeParse(parsed);
  if (!envelope.success) {
    const errors = envelope.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ApiError(400, 'validation-failed', 'The event lacks its id, type, created or metadata.', {
      errors,
    });
  }
  const { id: eventId, type, metadata } = envelope.data;
  const receivedAt = now.toISOString();
  const { duplicate } = await p.inbox.receive({
    eventId,
    tenantId: metadata.tenantId,
    type,
    rawBody,
    signatureTimestamp: check.timestamp,
    receivedAt,
  });
  const handled = isHandledType(type);
  if (handled) {
    // Enqueued on every delivery, duplicates too: an earlier one may have been stored and then lost
    // before its enqueue. The worker is idempotent on the event id.
    await p.enqueue(
      JSON.stringify({ eventId, tenantId: metadata.tenantId, type, receivedAt, event: parsed }),
      correlationIdOf(event),
    );
  } else {
    await p.inbox.record(eventId, {
      outcome: 'ignored',
      at: receivedAt,
      reason: `type ${type} is not handled`,
    });
  }
  return json(202, { received: true, eventId, duplicate, handled });
}

/** The plain function: the event and the receiver's dependencies. */
export const main = (event: APIGatewayProxyEvent, deps: ReceiverPorts) => receive(event, deps);
export const { handler } = publicRoute((event: APIGatewayProxyEvent, _context: Context) =>
  main(event, processorWebhookReceiver()),
);
