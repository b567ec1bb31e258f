// The correlation id, hop by hop: the API's answer and log lines, the saga's input and tasks, the outbox
// relay and the SQS message attributes. (The merchant's header: test/unit/shared/observability.test.ts;
// the whole path: test/integration/correlation.test.ts.)

import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqsMerchantNotifier } from '../../../lambdas/adapters/sqs-merchant-notifier.ts';
import { openAccount } from '../../../lambdas/application/commands.ts';
import type { SagaDeps } from '../../../lambdas/composition/saga.ts';
import type { StoredEvent } from '../../../lambdas/domain/events.ts';
import type { PaymentState } from '../../../lambdas/domain/payments/payment.ts';
import { receive } from '../../../lambdas/handlers/api/receive-processor-webhook.ts';
import { relayRecord } from '../../../lambdas/handlers/relay/relay.ts';
import { sagaTask } from '../../../lambdas/handlers/saga/saga-task.ts';
import { applyProcessorEvent } from '../../../lambdas/handlers/workers/processor-events.ts';
import { logger, publicRoute } from '../../../lambdas/shared/api.ts';
import { settlementStarter } from '../../../lambdas/shared/payment-saga.ts';
import { ApiError, json } from '../../../lambdas/shared/problems.ts';
import { signWebhook } from '../../../lambdas/shared/webhook-signature.ts';
import { apiEvent, lambdaContext } from '../../support/api-events.ts';
import { inMemoryPorts } from '../../support/in-memory-ports.ts';
import { SETTLED_NOTIFICATION } from './correlation-fixtures.ts';

const notification = SETTLED_NOTIFICATION;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the API', () => {
  const route = publicRoute(async (event) => {
    logger.info('working');
    if (event.path === '/fail') throw new ApiError(400, 'bad', 'no');
    return json(200, {});
  });

  it('answers with the caller’s valid X-Correlation-Id, errors too, and logs under it', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const ok = await route.handler(
      apiEvent('GET', '/ok', { headers: { 'X-Correlation-Id': 'corr-1' } }),
      lambdaContext(),
    );
    const failed = await route.handler(
      apiEvent('GET', '/fail', { headers: { 'x-correlation-id': 'corr-2' } }),
      lambdaContext(),
    );
    vi.restoreAllMocks();
    expect(ok.headers?.['X-Correlation-Id']).toBe('corr-1');
    expect(failed).toMatchObject({ statusCode: 400, headers: { 'X-Correlation-Id': 'corr-2' } });
    const logged = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.correlationId === 'corr-1').map((l) => l.message)).toEqual([
      'working',
      'Request answered',
    ]);
    expect(logged.some((l) => l.message === 'Request answered' && l.correlationId === 'corr-2')).toBe(true);
  });

  it('falls back to the request id when the caller sends none or an invalid one', async () => {
    const event = apiEvent('GET', '/ok', { headers: { 'X-Correlation-Id': 'not valid!' } });
    const reply = await route.handler(event, lambdaContext());
    expect(reply.headers?.['X-Correlation-Id']).toBe(event.requestContext.requestId);
  });
});

describe('the saga', () => {
  it('starts with the correlation id in its input', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({});
    await settlementStarter(new SFNClient({ region: 'us-east-1' }), 'arn:sm')('t', 'pay_1', 'corr-9');
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}';
    expect(JSON.parse(input)).toEqual({ tenantId: 't', paymentId: 'pay_1', correlationId: 'corr-9' });
    sfn.restore();
  });

  it('runs every task under the input’s correlation id (the payment id for an older execution)', async () => {
    const seen: string[] = [];
    const task = sagaTask(
      'ReserveFunds',
      (): SagaDeps => ({ ports: inMemoryPorts() }),
      async (_deps, ctx, input) => {
        seen.push(ctx.correlationId);
        return { id: input.paymentId, status: 'reserved' } as unknown as PaymentState;
      },
    );
    await task.handler({ tenantId: 't', paymentId: 'pay_1', correlationId: 'corr-3' }, lambdaContext());
    await task.handler({ tenantId: 't', paymentId: 'pay_2' });
    expect(seen).toEqual(['corr-3', 'pay_2']);
  });
});

describe('the notifications queue', () => {
  it('carries the outbox event’s correlation id from the relay as a message attribute', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    const notifier = new SqsMerchantNotifier({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'q',
    });
    const event = {
      type: 'MerchantNotificationRequested',
      payload: notification,
      correlationId: 'corr-4',
      stream: { type: 'payment', tenantId: 't', id: 'pay_1' },
      version: 7,
    } as unknown as StoredEvent;
    await relayRecord({ notifier, records: { decode: () => event } }, {} as never);
    const attributes = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes;
    expect(attributes?.correlationId).toEqual({ DataType: 'String', StringValue: 'corr-4' });
    expect(attributes?.notificationId?.StringValue).toBe('pay_1.settled');
    sqs.restore();
  });
});

describe('processor webhooks', () => {
  it('queue a verified event with the receiving request’s correlation id', async () => {
    const queued: (string | undefined)[] = [];
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'capture.confirmed',
      created: 1,
      metadata: { tenantId: 't', paymentId: 'p' },
      data: { processorPaymentId: 'ch_1' },
    });
    const now = new Date('2026-11-21T12:00:00.000Z');
    const event = apiEvent('POST', '/webhooks/processor', {
      tenant: null,
      rawBody: body,
      headers: {
        'x-correlation-id': 'corr-5',
        'x-processor-signature': signWebhook('whsec_test', body, Math.floor(now.getTime() / 1000)),
      },
    });
    await receive(event, {
      secrets: async () => ['whsec_test'],
      inbox: { receive: async () => ({ duplicate: false }), record: async () => {} },
      enqueue: async (_body, correlationId) => void queued.push(correlationId),
      now: () => now,
    });
    expect(queued).toEqual(['corr-5']);
  });

  it('apply the event, and notify the merchant, under the correlation id its message carried', async () => {
    const ports = inMemoryPorts();
    const merchant = (
      await openAccount(
        ports,
        { tenantId: 't', correlationId: 'c', causationId: 'c', actor: 'test' },
        { currency: 'USD', kind: 'merchant' },
      )
    ).id;
    const origins: unknown[] = [];
    await applyProcessorEvent(
      {
        ledger: ports,
        inbox: { receive: async () => ({ duplicate: false }), record: async () => {} },
        notifier: { enqueue: async (_n, origin) => void origins.push(origin) },
        payments: { confirmCapture: async () => undefined, recordRefundResult: async () => undefined },
      },
      {
        eventId: 'evt_d',
        tenantId: 't',
        type: 'dispute.opened',
        receivedAt: '2026-11-21T12:00:00.000Z',
        correlationId: 'corr-6',
        event: {
          id: 'evt_d',
          type: 'dispute.opened',
          created: 1_795_000_000,
          metadata: { tenantId: 't', merchantAccountId: merchant },
          data: { disputeId: 'dp_1', processorPaymentId: 'ch_1', amount: 300, currency: 'USD' },
        },
      },
    );
    expect(origins).toEqual([{ correlationId: 'corr-6' }]);
    const hold = ports.events.all().filter((e) => e.stream.type === 'transfer');
    expect(hold.map((e) => e.correlationId)).toEqual(['corr-6']);
  });
});
