// Black box where possible: HTTP to the API and the processor webhook, a merchant endpoint of our own on
// 127.0.0.1, and (local target only) the DLQ operations against the local runtime's SQS endpoint.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, expect, inject, it } from 'vitest';
import { findDeadLetterQueue, listDepths, localDeadLetterQueues, redrive } from '../../cli/dlq-operations.ts';
import { DynamoDbEventStore } from '../../lambdas/adapters/dynamodb-event-store.ts';
import { verifyWebhook } from '../../lambdas/shared/webhook-signature.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { startMerchantServer } from '../support/merchant-server.ts';
import { disputeEvent, enqueueStaleProcessorEvent, processorSignature } from '../support/processor-events.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl').replace(/\/$/, '');
checkContract(apiUrl);
const apiKey = inject('apiKey');
const targetName = inject('targetName');
const processorSecret = inject('processorWebhookSecret');
const local = inject('localRuntime');
const unreachable = inject('skipReason');
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const request = apiClient(apiUrl, apiKey);

/**
 * Our tenant id, as the processor knows it: the saga hands it over as capture metadata. The audit
 * trail shows it as the actor of what this key did (`api-key:<tenantId>`).
 */
async function tenantId(): Promise<string> {
  const id = await openMerchant(0);
  const events = await request('GET', `/accounts/${id}/events`);
  const actor = String((events.json.data as { actor: string }[])[0]?.actor);
  expect(actor).toMatch(/^api-key:/);
  return actor.slice('api-key:'.length);
}

async function openMerchant(balance: number): Promise<string> {
  const opened = await request('POST', '/accounts', { currency: 'USD', kind: 'merchant' });
  expect(opened.status).toBe(201);
  const id = String(opened.json.id);
  if (balance > 0) {
    expect(
      (await request('POST', `/accounts/${id}/deposits`, { amount: balance, currency: 'USD' })).status,
    ).toBe(201);
  }
  return id;
}

/** The account as the event store has it now (strongly consistent). */
async function balances(id: string) {
  const reply = await request('GET', `/accounts/${id}?asOf=9999-12-31T23:59:59Z`);
  return reply.json.balances as { available: number; debitsPending: number; debitsPosted: number };
}

let eventSeq = 0;
async function sendProcessorEvent(event: Record<string, unknown>, secret = processorSecret ?? '') {
  const body = JSON.stringify(event);
  return request('POST', '/webhooks/processor', body, {
    'content-type': 'application/json',
    'x-processor-signature': processorSignature(secret, body),
    'x-api-key': '',
  });
}
const dispute = (
  type: 'dispute.opened' | 'dispute.won' | 'dispute.lost',
  tenant: string,
  merchant: string,
  disputeId: string,
  amount: number,
) =>
  disputeEvent({
    id: `evt_${run}_${++eventSeq}`,
    type,
    tenantId: tenant,
    merchantAccountId: merchant,
    disputeId,
    amount,
  });

const skipSigned =
  unreachable ??
  (processorSecret
    ? null
    : 'the processor webhook secret is unknown (set LEDGERLINE_PROCESSOR_WEBHOOK_SECRET)');
const skipLocalOnly =
  skipSigned ??
  (local ? null : 'needs the local runtime (a merchant endpoint on 127.0.0.1, the SQS endpoint)');

describeTarget('processor webhooks', skipSigned, targetName, () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await tenantId();
  });

  it('refuses an unsigned, a wrongly signed and a stale delivery with 401 problem+json', async () => {
    const merchant = await openMerchant(1000);
    const event = dispute('dispute.opened', tenant, merchant, `dp_${run}_bad`, 500);
    const body = JSON.stringify(event);
    for (const signature of [
      undefined,
      processorSignature('not-the-secret', body),
      processorSignature(processorSecret ?? '', body, Math.floor(Date.now() / 1000) - 600),
    ]) {
      const reply = await request('POST', '/webhooks/processor', body, {
        'content-type': 'application/json',
        ...(signature ? { 'x-processor-signature': signature } : {}),
      });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
      expect(reply.json.type).toBe('urn:ledgerline:problem:invalid-signature');
    }
    expect((await balances(merchant)).debitsPending).toBe(0);
  });

  it('opens a hold on a dispute (available drops) and posts the chargeback when it is lost', async () => {
    const merchant = await openMerchant(10_000);
    const disputeId = `dp_${run}_lost`;
    const opened = dispute('dispute.opened', tenant, merchant, disputeId, 1500);
    expect((await sendProcessorEvent(opened)).status).toBe(202);
    // The processor retries what it is not sure we got: the same event, twice more.
    expect((await sendProcessorEvent(opened)).json).toMatchObject({ duplicate: true });
    expect((await sendProcessorEvent(opened)).status).toBe(202);
    await waitFor(async () => (await balances(merchant)).debitsPending === 1500, {
      timeoutMs: 30_000,
      what: 'dispute hold',
    });
    expect((await balances(merchant)).available).toBe(8500);

    expect(
      (await sendProcessorEvent(dispute('dispute.lost', tenant, merchant, disputeId, 1500))).status,
    ).toBe(202);
    await waitFor(async () => (await balances(merchant)).debitsPosted === 1500, {
      timeoutMs: 30_000,
      what: 'chargeback',
    });
    expect(await balances(merchant)).toMatchObject({ available: 8500, debitsPending: 0, debitsPosted: 1500 });
  });

  it('releases the hold when the merchant wins the dispute', async () => {
    const merchant = await openMerchant(10_000);
    const disputeId = `dp_${run}_won`;
    await sendProcessorEvent(dispute('dispute.opened', tenant, merchant, disputeId, 2000));
    await waitFor(async () => (await balances(merchant)).available === 8000, {
      timeoutMs: 30_000,
      what: 'dispute hold',
    });
    await sendProcessorEvent(dispute('dispute.won', tenant, merchant, disputeId, 2000));
    await waitFor(async () => (await balances(merchant)).debitsPending === 0, {
      timeoutMs: 30_000,
      what: 'release',
    });
    expect(await balances(merchant)).toMatchObject({ available: 10_000, debitsPosted: 0 });
  });
});

describeTarget('merchant notifications', skipLocalOnly, targetName, () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await tenantId();
  });

  it('registers an endpoint: the secret is shown once, never listed; only merchants have endpoints', async () => {
    const merchant = await openMerchant(0);
    const registered = await request('POST', `/merchants/${merchant}/webhook-endpoints`, {
      url: 'http://127.0.0.1:9/hooks',
    });
    expect(registered.status).toBe(201);
    expect(registered.json).toMatchObject({
      url: 'http://127.0.0.1:9/hooks',
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = await request('GET', `/merchants/${merchant}/webhook-endpoints`);
    expect(listed.json.data).toEqual([
      expect.objectContaining({ id: registered.json.id, url: 'http://127.0.0.1:9/hooks' }),
    ]);
    expect(JSON.stringify(listed.json)).not.toContain(String(registered.json.secret));

    const customer = await request('POST', '/accounts', { currency: 'USD' });
    const refused = await request('POST', `/merchants/${String(customer.json.id)}/webhook-endpoints`, {
      url: 'https://example.com/h',
    });
    expect(refused.status).toBe(422);
    expect(refused.json.type).toBe('urn:ledgerline:problem:not-a-merchant-account');
    expect(
      (await request('POST', '/merchants/acct_nobody/webhook-endpoints', { url: 'https://example.com/h' }))
        .status,
    ).toBe(404);
    const insecure = await request('POST', `/merchants/${merchant}/webhook-endpoints`, {
      url: 'http://example.com/h',
    });
    expect(insecure.status).toBe(400);
    expect(insecure.json.type).toBe('urn:ledgerline:problem:invalid-webhook-url');
  });

  it('delivers a notification exactly once, signed, to an endpoint that is down at first; every attempt is listed', async () => {
    const server = await startMerchantServer((n) => (n <= 2 ? 503 : 200));
    try {
      const merchant = await openMerchant(5000);
      const registered = await request('POST', `/merchants/${merchant}/webhook-endpoints`, {
        url: server.url,
      });
      const secret = String(registered.json.secret);
      const disputeId = `dp_${run}_notify`;
      const opened = dispute('dispute.opened', tenant, merchant, disputeId, 700);
      expect((await sendProcessorEvent(opened)).status).toBe(202);

      const delivered = await waitFor(() => server.received.find((r) => r.status === 200), {
        timeoutMs: 90_000,
        intervalMs: 250,
        what: 'a successful delivery',
      });
      const check = verifyWebhook(
        [secret],
        String(delivered.headers['ledgerline-signature']),
        delivered.body,
        Date.now() / 1000,
      );
      expect(check.valid).toBe(true);
      expect(JSON.parse(delivered.body)).toMatchObject({
        id: `dispute.${disputeId}.opened`,
        type: 'dispute.opened',
        merchantAccountId: merchant,
        data: { disputeId, amount: 700, currency: 'USD' },
      });

      // The same processor event again: applied once, so no second notification either.
      await sendProcessorEvent(opened);
      const attempts = await waitFor(
        async () => {
          const reply = await request('GET', `/merchants/${merchant}/deliveries?limit=10`);
          const data = reply.json.data as { outcome: string; statusCode: number | null; attempt: number }[];
          return data.length >= 3 ? data : undefined;
        },
        { timeoutMs: 10_000, what: 'three recorded attempts' },
      );
      expect(attempts.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
        [3, 'delivered', 200],
        [2, 'failed', 503],
        [1, 'failed', 503],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(server.received.map((r) => r.status)).toEqual([503, 503, 200]);

      const page = await request('GET', `/merchants/${merchant}/deliveries?limit=2`);
      expect(page.json.nextCursor).toEqual(expect.any(String));
      const next = await request(
        'GET',
        `/merchants/${merchant}/deliveries?limit=2&cursor=${String(page.json.nextCursor)}`,
      );
      expect((next.json.data as unknown[]).length).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('relays an outbox event from the events stream to the merchant (the saga’s NotifyMerchant step)', async () => {
    const server = await startMerchantServer();
    const dynamodb = new DynamoDBClient({
      endpoint: local?.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const merchant = await openMerchant(0);
      const secret = String(
        (await request('POST', `/merchants/${merchant}/webhook-endpoints`, { url: server.url })).json.secret,
      );
      const paymentId = `pay_${run}`;
      // What the saga appends: a MerchantNotificationRequested event on the payment's stream.
      const store = new DynamoDbEventStore({ client: dynamodb, tableName: local?.eventsTable ?? '' });
      const notification = {
        notificationId: `${paymentId}.settled`,
        tenantId: tenant,
        merchantAccountId: merchant,
        type: 'payment.settled' as const,
        occurredAt: new Date().toISOString(),
        data: { paymentId, amount: 4200, currency: 'USD' },
      };
      const write = (version: number) =>
        store.append([
          {
            stream: { type: 'payment', tenantId: tenant, id: paymentId },
            expectedVersion: version,
            events: [
              {
                type: 'MerchantNotificationRequested',
                payload: notification,
                tenantId: tenant,
                correlationId: paymentId,
                causationId: paymentId,
                actor: 'saga',
                eventId: `evt_${run}_outbox_${version}`,
                schemaVersion: 1,
                occurredAt: notification.occurredAt,
              },
            ],
          },
        ]);
      // Twice, as a retried saga step might: the merchant still hears of it once.
      await write(0);
      await write(1);
      const delivered = await waitFor(() => server.received.find((r) => r.status === 200), {
        timeoutMs: 30_000,
        what: 'the relayed notification',
      });
      expect(JSON.parse(delivered.body)).toMatchObject({
        id: `${paymentId}.settled`,
        type: 'payment.settled',
      });
      const signature = String(delivered.headers['ledgerline-signature']);
      expect(verifyWebhook([secret], signature, delivered.body, Date.now() / 1000).valid).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(server.received).toHaveLength(1);
    } finally {
      dynamodb.destroy();
      await server.stop();
    }
  });

  it('lets an event that came before its predecessor wait for it, then books it without anyone', async () => {
    const merchant = await openMerchant(10_000);
    const disputeId = `dp_${run}_early`;
    // Lost before it was opened: parked (30 s the first time), not refused and not dead-lettered.
    expect((await sendProcessorEvent(dispute('dispute.lost', tenant, merchant, disputeId, 700))).status).toBe(
      202,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await balances(merchant)).debitsPosted).toBe(0);
    expect(
      (await sendProcessorEvent(dispute('dispute.opened', tenant, merchant, disputeId, 700))).status,
    ).toBe(202);
    await waitFor(async () => (await balances(merchant)).debitsPosted === 700, {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: 'the parked chargeback, applied once its dispute opened',
    });
    expect((await balances(merchant)).debitsPending).toBe(0);
  }, 120_000);

  it('sends an early event whose wait is over to the DLQ after maxReceiveCount, and redrives it once the cause is fixed', async () => {
    const merchant = await openMerchant(10_000);
    const disputeId = `dp_${run}_poison`;
    const client = new SQSClient({
      endpoint: local?.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      useQueueUrlAsEndpoint: false,
    });
    try {
      const dlq = findDeadLetterQueue(
        localDeadLetterQueues(local?.cdkOut ?? '', local?.sqsEndpoint ?? ''),
        'ProcessorEvents',
      );
      // Lost before it was ever opened, and received four days ago: past the three days an early event
      // waits for its predecessor, so the worker retries it like any failure, then gives up.
      const event = dispute('dispute.lost', tenant, merchant, disputeId, 900);
      await enqueueStaleProcessorEvent(
        { sqsEndpoint: local?.sqsEndpoint ?? '', cdkOut: local?.cdkOut ?? '' },
        { ...event, id: String(event.id), type: String(event.type) },
        tenant,
      );
      await waitFor(async () => ((await listDepths(client, [dlq]))[0]?.visible ?? 0) >= 1, {
        timeoutMs: 100_000,
        intervalMs: 500,
        what: 'the poison event in the DLQ',
      });
      expect((await balances(merchant)).debitsPosted).toBe(0);

      // The fix: the dispute's opening arrives. Then the operator redrives.
      await sendProcessorEvent(dispute('dispute.opened', tenant, merchant, disputeId, 900));
      await waitFor(async () => (await balances(merchant)).debitsPending === 900, {
        timeoutMs: 30_000,
        what: 'hold',
      });
      expect(await redrive(client, dlq, { rate: 10, mode: 'manual' })).toMatchObject({
        moved: expect.any(Number),
      });
      await waitFor(async () => (await balances(merchant)).debitsPosted === 900, {
        timeoutMs: 30_000,
        what: 'redriven chargeback',
      });
      expect((await listDepths(client, [dlq]))[0]?.visible).toBe(0);
    } finally {
      client.destroy();
    }
  }, 180_000);
});
