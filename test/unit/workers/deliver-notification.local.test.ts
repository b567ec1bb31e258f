// The delivery worker: deliver() against a real HTTP endpoint, then main() as deployed
// (DynamoDB Local, fauxqs, the local Secrets Manager, real Powertools idempotency).
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryLog } from '../../../lambdas/adapters/dynamodb-webhooks.ts';
import { openAccount } from '../../../lambdas/application/commands.ts';
import { buildMerchantEndpoints } from '../../../lambdas/composition/merchants.ts';
import {
  buildDeliveryWorker,
  type DeliveryWorkerDeps,
  retryDelaySeconds,
} from '../../../lambdas/composition/workers.ts';
import type { MerchantNotification } from '../../../lambdas/domain/notifications.ts';
import type {
  DeliveryAttempt,
  DeliveryLog,
  MerchantEndpoints,
  WebhookEndpoint,
} from '../../../lambdas/domain/webhooks.ts';
import {
  DeliveryFailedError,
  type DeliveryPorts,
  deliver,
  main,
  SIGNATURE_HEADER,
} from '../../../lambdas/handlers/workers/deliver-notification.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { verifyWebhook } from '../../../lambdas/shared/webhook-signature.ts';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb.ts';
import { arns } from '../../../local/naming.ts';
import { type SecretsManagerEmulator, startSecretsManager } from '../../../local/secrets-manager.ts';
import { lambdaContext } from '../../support/api-events.ts';
import { startMerchantServer } from '../../support/merchant-server.ts';
import {
  sqsEvent,
  startWorkerEnvironment,
  type WorkerEnvironment,
} from '../../support/worker-environment.ts';

const SECRET = 'whsec_merchant_test';

function notification(id: string, merchantAccountId = 'acct_m', tenantId = 'tenant-a'): MerchantNotification {
  return {
    notificationId: id,
    tenantId,
    merchantAccountId,
    type: 'payment.settled',
    occurredAt: '2026-11-21T12:00:00.000Z',
    data: { paymentId: 'pay_1', amount: 1000, currency: 'USD' },
  };
}

class MemoryLog implements DeliveryLog {
  readonly attempts: DeliveryAttempt[] = [];
  async record(attempt: DeliveryAttempt) {
    this.attempts.push(attempt);
  }
  async list() {
    return { attempts: this.attempts, next: null };
  }
}

function fakePorts(
  url: string | null,
  overrides: Partial<DeliveryPorts> = {},
): DeliveryPorts & { log: MemoryLog } {
  const endpoint: WebhookEndpoint | null = url
    ? {
        endpointId: 'we_1',
        tenantId: 'tenant-a',
        merchantAccountId: 'acct_m',
        url,
        createdAt: '',
        secretHint: 'test',
      }
    : null;
  const endpoints: MerchantEndpoints = {
    register: async () => undefined,
    get: async () => endpoint,
    getForDelivery: async () => (endpoint ? { ...endpoint, signingSecret: SECRET } : null),
  };
  return {
    endpoints,
    log: new MemoryLog(),
    fetch: (input, init) => fetch(input, init),
    now: () => new Date(),
    allowLoopbackHttp: true,
    timeoutMs: 500,
    resolvesInternally: async () => false,
    ...overrides,
  } as DeliveryPorts & { log: MemoryLog };
}

describe('deliver', () => {
  it('POSTs the notification signed with the merchant secret and records the attempt', async () => {
    const server = await startMerchantServer();
    try {
      const ports = fakePorts(server.url);
      expect(await deliver(ports, { notification: notification('n1'), attempt: 1 })).toMatchObject({
        outcome: 'delivered',
        statusCode: 200,
      });
      const [request] = server.received;
      expect(JSON.parse(request?.body ?? '')).toMatchObject({ id: 'n1', type: 'payment.settled' });
      const check = verifyWebhook(
        [SECRET],
        String(request?.headers[SIGNATURE_HEADER]),
        request?.body ?? '',
        Date.now() / 1000,
      );
      expect(check.valid).toBe(true);
      expect(ports.log.attempts).toMatchObject([
        { notificationId: 'n1', attempt: 1, outcome: 'delivered', statusCode: 200 },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('throws on a 5xx, a timeout and a redirect (never followed), recording each failed attempt', async () => {
    const server = await startMerchantServer((n) => (n === 1 ? 503 : n === 2 ? 'hang' : 302));
    try {
      const ports = fakePorts(server.url);
      for (let attempt = 1; attempt <= 3; attempt++) {
        await expect(deliver(ports, { notification: notification('n2'), attempt })).rejects.toBeInstanceOf(
          DeliveryFailedError,
        );
      }
      expect(server.received).toHaveLength(3);
      expect(ports.log.attempts.map((a) => [a.outcome, a.statusCode, a.error])).toEqual([
        ['failed', 503, 'HTTP 503'],
        ['failed', null, 'no answer within 500 ms'],
        ['failed', 302, 'redirects are not followed'],
      ]);
    } finally {
      await server.stop();
    }
  });

  it('skips, without retrying, a merchant with no endpoint or a URL the rules now refuse', async () => {
    const none = fakePorts(null);
    expect(await deliver(none, { notification: notification('n3'), attempt: 1 })).toMatchObject({
      outcome: 'skipped',
    });
    const refused = fakePorts('http://127.0.0.1:9/hooks', { allowLoopbackHttp: false });
    expect(await deliver(refused, { notification: notification('n3'), attempt: 1 })).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('only https'),
    });
    const internal = fakePorts('https://hooks.example.com/x', { resolvesInternally: async () => true });
    expect(await deliver(internal, { notification: notification('n3'), attempt: 1 })).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('internal address'),
    });
  });
});

describe('retryDelaySeconds', () => {
  it('is full jitter over an exponential ceiling, capped', () => {
    const limits = { baseSeconds: 5, capSeconds: 900 };
    expect(retryDelaySeconds(1, limits, () => 0.999)).toBe(5);
    expect(retryDelaySeconds(4, limits, () => 0.999)).toBe(40);
    expect(retryDelaySeconds(20, limits, () => 0.999)).toBe(900);
    expect(retryDelaySeconds(3, limits, () => 0)).toBe(0);
    expect(retryDelaySeconds(3, limits, () => 0.5)).toBe(10);
  });
});

describe('delivery worker (main) with real idempotency', () => {
  let env: WorkerEnvironment;
  let secrets: SecretsManagerEmulator;
  let merchant: string;
  let secretsClient: SecretsManagerClient;
  let endpoints: MerchantEndpoints;
  let log: DeliveryLog;
  let deps: DeliveryWorkerDeps;
  const TENANT = 'tenant-delivery';

  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    env = await startWorkerEnvironment();
    secrets = await startSecretsManager({});
    const arn = arns.secret('us-east-1', 'endpoint-key');
    secrets.register({ logicalId: 'EndpointSecretsKey', name: 'endpoint-key', arn, properties: {} });
    const { QueueUrl } = await env.sqsClient.send(new CreateQueueCommand({ QueueName: 'deliveries-work' }));
    expect(QueueUrl).toBeDefined();
    secretsClient = new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    // What the delivery worker's composition root builds from the variables the stack sets.
    endpoints = buildMerchantEndpoints(
      { dynamoDb: env.ddb.client, secrets: secretsClient },
      { endpointsTableName: 'endpoints', secretsKeyArn: arn },
    );
    log = new DynamoDbDeliveryLog({ client: env.ddb.client, tableName: 'deliveries' });
    deps = buildDeliveryWorker({
      queue: env.workQueue(env.sqs.queueUrl('deliveries-work')),
      idempotency: env.idempotency,
      endpoints,
      log,
      allowLoopbackHttp: true,
      timeoutMs: 1000,
    });
    const ctx = { tenantId: TENANT, correlationId: 't', causationId: 't', actor: 'test' };
    merchant = (await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' })).id;
  });
  afterAll(async () => {
    secretsClient?.destroy();
    await secrets?.stop();
    await env?.stop();
  });

  async function register(url: string) {
    await endpoints.register(
      {
        endpointId: `we_${Date.now()}`,
        tenantId: TENANT,
        merchantAccountId: merchant,
        url,
        createdAt: new Date().toISOString(),
        secretHint: 'test',
      },
      SECRET,
    );
  }

  it('delivers a notification once however often it arrives; a failed one is retried, then delivered once', async () => {
    const server = await startMerchantServer((n) => (n === 1 ? 503 : 200));
    try {
      await register(server.url);
      const body = notification('pay_9.settled', merchant, TENANT);
      // A real message, so the retry's ChangeMessageVisibility has a receipt handle to act on.
      await env.sqsClient.send(
        new SendMessageCommand({
          QueueUrl: env.sqs.queueUrl('deliveries-work'),
          MessageBody: JSON.stringify(body),
        }),
      );
      const { Messages } = await env.sqsClient.send(
        new ReceiveMessageCommand({
          QueueUrl: env.sqs.queueUrl('deliveries-work'),
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const event = sqsEvent([body]);
      const record = event.Records[0];
      if (!record || !Messages?.[0]?.ReceiptHandle) throw new Error('no message');
      record.receiptHandle = Messages[0].ReceiptHandle;

      const first = await main(event, deps, lambdaContext());
      expect(first.batchItemFailures).toHaveLength(1);
      for (let i = 0; i < 3; i++) {
        expect(await main(sqsEvent([body], 2 + i), deps, lambdaContext())).toEqual({ batchItemFailures: [] });
      }
      expect(server.received.map((r) => r.status)).toEqual([503, 200]);
      const listed = await log.list(TENANT, merchant, null, 10);
      expect(listed.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        [2, 'delivered'],
        [1, 'failed'],
      ]);
    } finally {
      await server.stop();
    }
  });

  it('sends an in-flight duplicate again, delayed past the lock (no failure, no receive spent), and delivers once', async () => {
    const server = await startMerchantServer();
    try {
      await register(server.url);
      const queueUrl = env.sqs.queueUrl('deliveries-work');
      await env.sqsClient.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      const body = notification('pay_10.settled', merchant, TENANT);
      const result = await main(sqsEvent([body, body]), deps, lambdaContext());
      expect(result).toEqual({ batchItemFailures: [] });
      expect(server.received).toHaveLength(1);
      const { Attributes } = await env.sqsClient.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
      expect(await main(sqsEvent([body], 2), deps, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(server.received).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('keys idempotency on the tenant too: the same notification id in another tenant is delivered', async () => {
    const server = await startMerchantServer();
    try {
      await register(server.url);
      const other = 'tenant-delivery-other';
      const ctx = { tenantId: other, correlationId: 't', causationId: 't', actor: 'test' };
      const otherMerchant = (await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' })).id;
      await endpoints.register(
        {
          endpointId: `we_other_${Date.now()}`,
          tenantId: other,
          merchantAccountId: otherMerchant,
          url: server.url,
          createdAt: new Date().toISOString(),
          secretHint: 'test',
        },
        SECRET,
      );
      const ours = notification('pay_11.settled', merchant, TENANT);
      const theirs = notification('pay_11.settled', otherMerchant, other);
      expect(await main(sqsEvent([ours]), deps, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await main(sqsEvent([theirs]), deps, lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(server.received).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });
});
