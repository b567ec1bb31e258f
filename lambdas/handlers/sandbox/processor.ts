// The sandbox card processor: deployed with the stack behind a Lambda Function URL (auth NONE; the
// handler checks the bearer secret), so every saga failure path can be driven from the public API
// with test tokens, like a card processor's test cards.
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { type SandboxDeps, sandbox } from '../../composition/sandbox.ts';

/** Test tokens and what they do. */
export const SANDBOX_TOKENS = {
  /** Captures. */
  visa: 'pm_card_visa',
  /** 402 `card_declined`. */
  declined: 'pm_card_declined',
  /** Captures, but answers only after SANDBOX_SLOW_CAPTURE_MS: longer than any client waits. */
  timeout: 'pm_card_timeout',
  /** 503 on the first two attempts of an idempotency key, then captures. */
  transient: 'pm_card_transient',
  /** Captures; every refund of it is a 503 until `POST /v1/test_helpers/refund_outages/resolve`. */
  refundFails: 'pm_card_refund_fails',
} as const;

const TRANSIENT_FAILURES = 2;

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const reply = (status: number, body: Record<string, unknown>): Reply => ({ status, body });

/** Stable ids from the idempotency key: the same key is the same object, whatever happens in between. */
function idFor(prefix: string, key: string): string {
  return `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** Constant time whatever the lengths: compares digests. */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

async function getItem(d: SandboxDeps, pk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await d.client.send(
    new GetItemCommand({
      TableName: d.tableName,
      Key: { pk: { S: pk } },
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** Puts an item unless one exists; returns the one that is there afterwards. */
async function putOnce(d: SandboxDeps, item: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    await d.client.send(
      new PutItemCommand({
        TableName: d.tableName,
        Item: marshall({ ...item, expiresAt: Math.floor(Date.now() / 1000) + 7 * 24 * 3600 }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return item;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return (await getItem(d, String(item.pk))) as Record<string, unknown>;
  }
}

async function countAttempt(d: SandboxDeps, key: string): Promise<number> {
  const { Attributes } = await d.client.send(
    new UpdateItemCommand({
      TableName: d.tableName,
      Key: { pk: { S: `attempts#${key}` } },
      UpdateExpression: 'ADD attempts :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.attempts?.N ?? '1');
}

function slowly(d: SandboxDeps): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, d.slowCaptureMs));
}

function captureReply(capture: Record<string, unknown>): Reply {
  if (capture.status === 'declined') return reply(402, { declineCode: capture.declineCode });
  if (capture.status === 'tombstoned') return reply(402, { declineCode: 'capture_cancelled' });
  return reply(200, { id: capture.id, status: 'succeeded', amount: capture.amount });
}

async function capture(d: SandboxDeps, key: string, body: Record<string, unknown>): Promise<Reply> {
  const known = await getItem(d, `capture#${key}`);
  if (known) {
    // A timeout card never answers in time, replays included.
    if (known.paymentMethod === SANDBOX_TOKENS.timeout) await slowly(d);
    return captureReply(known);
  }
  const method = String(body.paymentMethod ?? '');
  const amount = Number(body.amount);
  if (!Number.isSafeInteger(amount) || amount <= 0)
    return reply(400, { error: 'amount must be a positive integer' });
  const base = {
    pk: `capture#${key}`,
    id: idFor('ch', key),
    amount,
    paymentMethod: method,
    reference: String(body.reference ?? ''),
  };
  switch (method) {
    case SANDBOX_TOKENS.declined:
      return captureReply(await putOnce(d, { ...base, status: 'declined', declineCode: 'card_declined' }));
    case SANDBOX_TOKENS.transient:
      if ((await countAttempt(d, key)) <= TRANSIENT_FAILURES)
        return reply(503, { error: 'temporarily unavailable' });
      return captureReply(await putOnce(d, { ...base, status: 'captured', refunded: 0 }));
    case SANDBOX_TOKENS.timeout: {
      const stored = await putOnce(d, { ...base, status: 'captured', refunded: 0 });
      await slowly(d);
      return captureReply(stored);
    }
    case SANDBOX_TOKENS.visa:
    case SANDBOX_TOKENS.refundFails:
      return captureReply(await putOnce(d, { ...base, status: 'captured', refunded: 0 }));
    default:
      return captureReply(
        await putOnce(d, { ...base, status: 'declined', declineCode: 'invalid_payment_method' }),
      );
  }
}

async function refund(d: SandboxDeps, key: string, body: Record<string, unknown>): Promise<Reply> {
  const known = await getItem(d, `refund#${key}`);
  if (known) return reply(200, { id: known.id ?? null, status: known.status });
  const amount = Number(body.amount);
  const captureKey = String(body.captureIdempotencyKey ?? '');
  if (!Number.isSafeInteger(amount) || amount <= 0 || captureKey === '') {
    return reply(400, { error: 'amount and captureIdempotencyKey are required' });
  }
  // A refund of a capture we never saw leaves a tombstone: a capture arriving later under that key is refused.
  const target = await putOnce(d, { pk: `capture#${captureKey}`, status: 'tombstoned' });
  if (target.status !== 'captured') {
    await putOnce(d, { pk: `refund#${key}`, status: 'nothing-to-refund' });
    return reply(200, { status: 'nothing-to-refund' });
  }
  if (
    target.paymentMethod === SANDBOX_TOKENS.refundFails &&
    !(await getItem(d, `healed#${String(target.reference)}`))
  ) {
    return reply(503, { error: 'refunds are failing for this card' });
  }
  try {
    await d.client.send(
      new UpdateItemCommand({
        TableName: d.tableName,
        Key: { pk: { S: `capture#${captureKey}` } },
        UpdateExpression: 'ADD refunded :amount',
        ConditionExpression: 'refunded <= :max',
        ExpressionAttributeValues: {
          ':amount': { N: String(amount) },
          ':max': { N: String(Number(target.amount) - amount) },
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      return reply(402, { declineCode: 'amount_too_large' });
    throw error;
  }
  const stored = await putOnce(d, { pk: `refund#${key}`, id: idFor('re', key), status: 'succeeded', amount });
  return reply(200, { id: stored.id, status: stored.status });
}

/** Route a request; exported for tests. */
export async function main(event: APIGatewayProxyEventV2, d: SandboxDeps): Promise<APIGatewayProxyResultV2> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']),
  );
  const answer = async (): Promise<Reply> => {
    const token = (headers.authorization ?? '').replace(/^Bearer /, '');
    if (!secretMatches(token, await d.secret())) return reply(401, { error: 'unauthorized' });
    if (method !== 'POST') return reply(405, { error: 'POST only' });
    const raw =
      event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    let body: Record<string, unknown>;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { error: 'body is not JSON' });
    }
    if (path === '/v1/test_helpers/refund_outages/resolve') {
      await putOnce(d, { pk: `healed#${String(body.reference ?? '')}` });
      return reply(200, { resolved: body.reference ?? null });
    }
    const key = headers['idempotency-key'] ?? '';
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) return reply(400, { error: 'Idempotency-Key is required' });
    if (path === '/v1/captures') return capture(d, key, body);
    if (path === '/v1/refunds') return refund(d, key, body);
    return reply(404, { error: `no route ${method} ${path}` });
  };
  const { status, body } = await answer();
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const handler = (event: APIGatewayProxyEventV2) => main(event, sandbox());
