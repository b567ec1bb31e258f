// One payment made with `X-Correlation-Id: <x>` is followed through the API's answer and log line, the
// events it caused, the saga's task logs, the notifications queue's message attribute (read by the relay
// and the delivery worker, which log it) and the merchant's notification header. The function logs are
// what the local runtime prints, so this file starts its own runtime from cdk.out and keeps them.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { localSnsClient } from '../../local/provisioners/sns-topics.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { ensureAssembly } from '../../local/synth.ts';
import { apiClient } from '../support/http-api.ts';
import { startMerchantServer } from '../support/merchant-server.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const projectRoot = join(import.meta.dirname, '..', '..');
const targetName = inject('targetName');
const skipReason = targetName === 'local' ? null : 'reads the function logs of a local runtime';
const KEY = 'correlation-tenant-0123456789abcdef';

/** Every line a function printed, with the function's name. */
const lines: { fn: string; line: string }[] = [];
let runtime: LocalRuntime | undefined;
let merchantServer: Awaited<ReturnType<typeof startMerchantServer>>;

/** The JSON log lines (Powertools Logger) that carry `correlationId`, as `function: message`. */
const loggedWith = (correlationId: string) =>
  lines.flatMap(({ fn, line }) => {
    if (!line.startsWith('{')) return [];
    const parsed = JSON.parse(line) as {
      message?: string;
      correlationId?: unknown;
      correlationIds?: unknown;
    };
    const ids = Array.isArray(parsed.correlationIds) ? parsed.correlationIds : [parsed.correlationId];
    return ids.includes(correlationId) ? [{ fn, message: parsed.message ?? '' }] : [];
  });

describeTarget('a correlation id, end to end', skipReason, targetName, () => {
  beforeAll(async () => {
    const cdkOut = join(projectRoot, 'cdk.out');
    await ensureAssembly(projectRoot, cdkOut, true);
    merchantServer = await startMerchantServer();
    runtime = await startLocalRuntime({
      cdkOut,
      projectRoot,
      port: 0,
      apiKeys: [KEY],
      log: () => {},
      functionLog: (fn, line) => lines.push({ fn, line }),
    });
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
    await merchantServer?.stop();
  });

  it('follows one payment from the request to the merchant', async () => {
    const request = apiClient(runtime?.apiUrl ?? '', KEY);
    const correlationId = `corr-${randomUUID()}`;
    const open = async (kind: string) => {
      const reply = await request('POST', '/accounts', { currency: 'USD', kind });
      expect(reply.status).toBe(201);
      return String(reply.json.id);
    };
    const payer = await open('customer');
    const merchant = await open('merchant');
    expect(
      (await request('POST', `/accounts/${payer}/deposits`, { amount: 10_000, currency: 'USD' })).status,
    ).toBe(201);
    const endpoint = await request('POST', `/merchants/${merchant}/webhook-endpoints`, {
      url: merchantServer.url,
    });
    expect(endpoint.status).toBe(201);

    const payment = await request(
      'POST',
      '/payments',
      {
        payerAccountId: payer,
        merchantAccountId: merchant,
        amount: 1_000,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      },
      { 'Idempotency-Key': randomUUID(), 'X-Correlation-Id': correlationId },
    );
    expect(payment.status).toBe(202);
    // The API answers with the id it worked under.
    expect(payment.headers.get('x-correlation-id')).toBe(correlationId);

    // The merchant's notification carries it as a header (the delivery worker read it from the SQS attribute).
    const notification = await waitFor(
      () => merchantServer.received.find((r) => r.body.includes('payment.settled')),
      { timeoutMs: 60_000, what: 'the payment.settled notification' },
    );
    expect(notification.headers['x-ledgerline-correlation-id']).toBe(correlationId);

    // The events: the payer's reservation (written by the saga) is stamped with it.
    const events = await request<{ data: { type: string; correlationId: string }[] }>(
      'GET',
      `/accounts/${payer}/events`,
    );
    expect(events.json.data.filter((e) => e.correlationId === correlationId).length).toBeGreaterThan(0);

    // The logs: the API's request, every saga task that ran, the relay (stream record → SQS attribute),
    // the delivery worker (SQS attribute → header), and the projector's batches.
    const logged = await waitFor(
      () => {
        const found = loggedWith(correlationId);
        return found.some((l) => l.message === 'Projected a batch') ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'the projector to log the payment' },
    );
    const functionOf = (message: string) => logged.filter((l) => l.message === message).map((l) => l.fn);
    const sagaTasks = functionOf('Saga step done');
    for (const task of [
      'ReserveFunds',
      'AssessRisk',
      'CaptureAtProcessor',
      'PostTransfer',
      'NotifyMerchant',
    ]) {
      expect(sagaTasks.some((fn) => fn.includes(task))).toBe(true);
    }
    expect(functionOf('Relaying a merchant notification')).toHaveLength(1);
    expect(functionOf('Merchant notification sent').length).toBeGreaterThan(0);
    // The API function's own lines carry it too (the Logger key is set per request).
    expect(logged.some((l) => l.fn.includes('PostPayments'))).toBe(true);
  }, 120_000);

  it('serves the stage’s alarm topic on the SQS emulator (fauxqs serves SNS)', async () => {
    const topicArn = String(runtime?.outputs.AlarmTopicArn);
    expect(topicArn).toMatch(/^arn:aws:sns:/);
    const sns = localSnsClient(runtime?.endpoints.sqs ?? '', 'us-east-1');
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    sns.destroy();
    expect(Topics?.map((t) => t.TopicArn)).toContain(topicArn);
  });
});
