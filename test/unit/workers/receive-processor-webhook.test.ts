import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { InboxOutcome, InboxReceipt, WebhookInbox } from '../../../lambdas/domain/webhooks.ts';
import { type ReceiverPorts, receive } from '../../../lambdas/handlers/api/receive-processor-webhook.ts';
import { publicRoute } from '../../../lambdas/shared/api.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';
import { disputeEvent, processorSignature } from '../../support/processor-events.ts';

const SECRET = 'whsec_processor_current';
const NOW = new Date('2026-11-21T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;

class MemoryInbox implements WebhookInbox {
  readonly receipts: InboxReceipt[] = [];
  readonly outcomes: { eventId: string; outcome: InboxOutcome }[] = [];
  async receive(receipt: InboxReceipt) {
    const duplicate = this.receipts.some((r) => r.eventId === receipt.eventId);
    this.receipts.push(receipt);
    return { duplicate };
  }
  async record(eventId: string, outcome: InboxOutcome) {
    this.outcomes.push({ eventId, outcome });
  }
}

let inbox: MemoryInbox;
let queued: string[];
let ports: ReceiverPorts;
const handler = publicRoute((event) => receive(event, ports)).handler;

beforeEach(() => {
  inbox = new MemoryInbox();
  queued = [];
  ports = {
    secrets: async () => [SECRET],
    inbox,
    enqueue: async (body) => {
      queued.push(body);
    },
    now: () => NOW,
  };
});

const rawBody = JSON.stringify(
  disputeEvent({
    id: 'evt_1',
    type: 'dispute.opened',
    tenantId: 'tenant-a',
    merchantAccountId: 'acct_m',
    disputeId: 'dp_1',
    amount: 1500,
    created: nowSeconds,
  }),
);

function webhook(body: string, signature: string | undefined, extra: Partial<APIGatewayProxyEvent> = {}) {
  const event = apiEvent('POST', '/webhooks/processor', {
    tenant: null,
    rawBody: body,
    headers: signature === undefined ? {} : { 'X-Processor-Signature': signature },
  });
  return handler({ ...event, ...extra }, lambdaContext());
}

async function expectRefused(body: string, signature: string | undefined) {
  const response = await webhook(body, signature);
  expect(response.statusCode).toBe(401);
  expect(response.headers?.['content-type']).toBe('application/problem+json');
  expect(bodyOf(response)).toMatchObject({ type: 'urn:ledgerline:problem:invalid-signature', status: 401 });
  expect(inbox.receipts).toEqual([]);
  expect(queued).toEqual([]);
}

describe('POST /webhooks/processor', () => {
  it('stores the raw body, enqueues the event with its tenant and answers 202', async () => {
    const response = await webhook(rawBody, processorSignature(SECRET, rawBody, nowSeconds - 30));
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toEqual({ received: true, eventId: 'evt_1', duplicate: false, handled: true });
    expect(inbox.receipts).toEqual([
      {
        eventId: 'evt_1',
        tenantId: 'tenant-a',
        type: 'dispute.opened',
        rawBody,
        signatureTimestamp: nowSeconds - 30,
        receivedAt: NOW.toISOString(),
      },
    ]);
    expect(queued.map((q) => JSON.parse(q))).toEqual([
      {
        eventId: 'evt_1',
        tenantId: 'tenant-a',
        type: 'dispute.opened',
        receivedAt: NOW.toISOString(),
        event: JSON.parse(rawBody),
      },
    ]);
  });

  it('refuses a signature made with the wrong secret with 401, storing and enqueuing nothing', async () => {
    await expectRefused(rawBody, processorSignature('whsec_someone_else', rawBody, nowSeconds));
  });

  it('refuses a stale timestamp', async () => {
    await expectRefused(rawBody, processorSignature(SECRET, rawBody, nowSeconds - 301));
    await expectRefused(rawBody, processorSignature(SECRET, rawBody, nowSeconds + 301));
  });

  it('refuses a replay: a captured delivery sent again after the window, or with a fresh timestamp', async () => {
    const captured = processorSignature(SECRET, rawBody, nowSeconds - 600);
    await expectRefused(rawBody, captured);
    await expectRefused(rawBody, captured.replace(`t=${nowSeconds - 600}`, `t=${nowSeconds}`));
  });

  it('refuses a tampered body, a missing and a malformed header', async () => {
    const signature = processorSignature(SECRET, rawBody, nowSeconds);
    await expectRefused(rawBody.replace('1500', '150000'), signature);
    await expectRefused(`${rawBody} `, signature);
    await expectRefused(rawBody, undefined);
    await expectRefused(rawBody, 'v1=deadbeef');
  });

  it('verifies the exact bytes when API Gateway hands the body over base64-encoded', async () => {
    const response = await webhook(
      Buffer.from(rawBody).toString('base64'),
      processorSignature(SECRET, rawBody, nowSeconds),
      {
        isBase64Encoded: true,
      },
    );
    expect(response.statusCode).toBe(202);
    expect(inbox.receipts[0]?.rawBody).toBe(rawBody);
  });

  it('accepts the previous secret while a rotation overlaps', async () => {
    ports = { ...ports, secrets: async () => ['whsec_new', SECRET] };
    expect((await webhook(rawBody, processorSignature(SECRET, rawBody, nowSeconds))).statusCode).toBe(202);
  });

  it('takes a redelivery of the same event id: counted as a duplicate and enqueued again', async () => {
    const signature = processorSignature(SECRET, rawBody, nowSeconds);
    await webhook(rawBody, signature);
    const again = await webhook(rawBody, signature);
    expect(again.statusCode).toBe(202);
    expect(bodyOf(again)).toMatchObject({ duplicate: true });
    expect(queued).toHaveLength(2);
  });

  it('stores and acknowledges an event type it does not handle, without enqueuing it', async () => {
    const body = JSON.stringify({ ...JSON.parse(rawBody), id: 'evt_2', type: 'charge.updated' });
    const response = await webhook(body, processorSignature(SECRET, body, nowSeconds));
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toMatchObject({ handled: false });
    expect(queued).toEqual([]);
    expect(inbox.outcomes).toMatchObject([{ eventId: 'evt_2', outcome: { outcome: 'ignored' } }]);
  });

  it('answers 400 for a signed body without an event id or tenant, storing nothing', async () => {
    const body = JSON.stringify({ type: 'dispute.opened', created: nowSeconds });
    const response = await webhook(body, processorSignature(SECRET, body, nowSeconds));
    expect(response.statusCode).toBe(400);
    expect(inbox.receipts).toEqual([]);
  });

  it('answers 413 for a body over 64 KiB before checking anything', async () => {
    const body = 'x'.repeat(64 * 1024 + 1);
    const response = await webhook(body, processorSignature(SECRET, body, nowSeconds));
    expect(response.statusCode).toBe(413);
  });
});
