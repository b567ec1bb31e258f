/**
 * The async workers' costs (issue 6), in one run against DynamoDB Local, fauxqs and the local Secrets
 * Manager, with the real Powertools idempotency and batch processing:
 *  - idempotency per message, on the processor-events worker (a dispute opening: ledger hold, inbox
 *    record, merchant notification): DynamoDB calls counted by an SDK middleware on the shared client,
 *    and p50 time, for a first delivery and for a duplicate, against the same work without idempotency;
 *  - throughput of the delivery worker (merchant endpoints on 127.0.0.1 answering in 10 ms, then in
 *    50 ms): the same kind of messages as batches of 10 and as single-message invocations, in-process
 *    (no Lambda invocation overhead, which would favour batches further).
 * Goals: a duplicate costs ≤ 0.5× a first delivery; batching ≥ 4× single-message throughput.
 * Prints one JSON line. Run: `npx node bench/workers.ts`.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbDeliveryLog, DynamoDbWebhookInbox } from '../lambdas/adapters/dynamodb-webhooks.ts';
import { deposit, openAccount } from '../lambdas/application/commands.ts';
import { buildMerchantEndpoints } from '../lambdas/composition/merchants.ts';
import { buildDeliveryWorker } from '../lambdas/composition/workers.ts';
import type { MerchantNotification } from '../lambdas/domain/notifications.ts';
import { main as deliverBatch } from '../lambdas/handlers/workers/deliver-notification.ts';
import {
  applyProcessorEvent,
  type ProcessorEventPorts,
  main as processBatch,
} from '../lambdas/handlers/workers/processor-events.ts';
import { logger } from '../lambdas/shared/api.ts';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.ts';
import { arns } from '../local/naming.ts';
import { startSecretsManager } from '../local/secrets-manager.ts';
import { lambdaContext } from '../test/support/api-events.ts';
import { startMerchantServer } from '../test/support/merchant-server.ts';
import { disputeEvent } from '../test/support/processor-events.ts';
import { sqsEvent, startWorkerEnvironment } from '../test/support/worker-environment.ts';

const MESSAGES = 60;
const THROUGHPUT_MESSAGES = 200;
/** Merchant endpoints' response times: a fast one on the same machine, and a quick one over a network. */
const ENDPOINT_LATENCIES_MS = [10, 50];
/** Notifications go round-robin to this many merchants (each its own endpoint). */
const MERCHANTS = 4;
const TENANT = 'tenant_bench';

const p50 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

logger.setLogLevel('SILENT');
const env = await startWorkerEnvironment();
const secrets = await startSecretsManager({});
const servers = await Promise.all(ENDPOINT_LATENCIES_MS.map((ms) => startMerchantServer(() => 200, ms)));
try {
  const keyArn = arns.secret('us-east-1', 'bench-endpoint-key');
  secrets.register({ logicalId: 'Key', name: 'bench-endpoint-key', arn: keyArn, properties: {} });
  const secretsClient = new SecretsManagerClient({
    endpoint: secrets.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const endpoints = buildMerchantEndpoints(
    { dynamoDb: env.ddb.client, secrets: secretsClient },
    { endpointsTableName: 'endpoints', secretsKeyArn: keyArn },
  );
  const deliveryWorker = buildDeliveryWorker({
    queue: env.workQueue(env.queues.inbound),
    idempotency: env.idempotency,
    endpoints,
    log: new DynamoDbDeliveryLog({ client: env.ddb.client, tableName: 'deliveries' }),
    allowLoopbackHttp: true,
    timeoutMs: 5000,
  });

  let calls = 0;
  env.ddb.client.middlewareStack.add(
    (next) => async (args) => {
      calls++;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );

  const ctx = { tenantId: TENANT, correlationId: 'bench', causationId: 'bench', actor: 'bench' };
  const merchant = (await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' })).id;
  await deposit(env.ledger, ctx, { accountId: merchant, amount: 10_000_000, currency: 'USD' });

  let sequence = 0;
  const message = () => {
    const id = `${++sequence}_${randomUUID().slice(0, 8)}`;
    const event = disputeEvent({
      id: `evt_${id}`,
      type: 'dispute.opened',
      tenantId: TENANT,
      merchantAccountId: merchant,
      disputeId: `dp_${id}`,
      amount: 100,
    });
    return {
      eventId: `evt_${id}`,
      tenantId: TENANT,
      type: 'dispute.opened',
      receivedAt: new Date().toISOString(),
      event,
    };
  };
  const ports: ProcessorEventPorts = {
    ledger: env.ledger,
    inbox: new DynamoDbWebhookInbox({ client: env.ddb.client, tableName: 'inbox' }),
    notifier: env.processorEvents.ports.notifier,
    payments: { confirmCapture: async () => undefined, recordRefundResult: async () => undefined },
  };

  /** Calls and milliseconds of one run of `work`. */
  const measure = async (work: () => Promise<unknown>) => {
    const before = calls;
    const started = performance.now();
    await work();
    return { calls: calls - before, ms: performance.now() - started };
  };

  // Warm up every path once (clients, Powertools, JIT).
  for (let i = 0; i < 5; i++) {
    const warm = message();
    await applyProcessorEvent(ports, message());
    await processBatch(sqsEvent([warm]), env.processorEvents, lambdaContext());
    await processBatch(sqsEvent([warm]), env.processorEvents, lambdaContext());
  }

  // Interleaved, so drift in DynamoDB Local hits every variant alike.
  const bare: { calls: number; ms: number }[] = [];
  const first: { calls: number; ms: number }[] = [];
  const duplicate: { calls: number; ms: number }[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    bare.push(await measure(() => applyProcessorEvent(ports, message())));
    const m = message();
    first.push(await measure(() => processBatch(sqsEvent([m]), env.processorEvents, lambdaContext())));
    duplicate.push(await measure(() => processBatch(sqsEvent([m]), env.processorEvents, lambdaContext())));
  }
  const avgCalls = (runs: { calls: number }[]) => runs.reduce((sum, r) => sum + r.calls, 0) / runs.length;
  const bareP50 = p50(bare.map((r) => r.ms));
  const firstP50 = p50(first.map((r) => r.ms));
  const duplicateP50 = p50(duplicate.map((r) => r.ms));

  // Throughput of the delivery worker, per endpoint latency.
  const merchants = await Promise.all(
    Array.from(
      { length: MERCHANTS },
      async () => (await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' })).id,
    ),
  );
  const registerAll = async (url: string) => {
    for (const id of merchants) {
      await endpoints.register(
        {
          endpointId: `we_${id}`,
          tenantId: TENANT,
          merchantAccountId: id,
          url,
          createdAt: new Date().toISOString(),
          secretHint: 'bench',
        },
        'whsec_bench',
      );
    }
  };
  let next = 0;
  const notification = (): MerchantNotification => {
    const n = randomUUID();
    return {
      notificationId: `bench.${n}`,
      tenantId: TENANT,
      merchantAccountId: merchants[next++ % merchants.length] ?? '',
      type: 'payment.settled',
      occurredAt: new Date().toISOString(),
      data: { paymentId: n, amount: 100, currency: 'USD' },
    };
  };
  const fresh = (count: number) => Array.from({ length: count }, notification);
  const throughput = async (batchSize: number) => {
    const started = performance.now();
    for (let sent = 0; sent < THROUGHPUT_MESSAGES; sent += batchSize) {
      const result = await deliverBatch(sqsEvent(fresh(batchSize)), deliveryWorker, lambdaContext());
      if (result.batchItemFailures.length > 0) throw new Error('a delivery failed during the benchmark');
    }
    return THROUGHPUT_MESSAGES / ((performance.now() - started) / 1000);
  };
  const throughputs = [];
  for (const [index, latency] of ENDPOINT_LATENCIES_MS.entries()) {
    await registerAll(servers[index]?.url ?? '');
    await deliverBatch(sqsEvent(fresh(10)), deliveryWorker, lambdaContext());
    const single = await throughput(1);
    const batch = await throughput(10);
    const singleAgain = await throughput(1);
    const singleRate = (single + singleAgain) / 2;
    throughputs.push({
      endpointLatencyMs: latency,
      singlePerSecond: round(singleRate, 1),
      batchOf10PerSecond: round(batch, 1),
      ratio: round(batch / singleRate),
    });
  }

  const firstCalls = avgCalls(first);
  const duplicateCalls = avgCalls(duplicate);
  console.log(
    JSON.stringify({
      bench: 'workers',
      messages: MESSAGES,
      idempotency: {
        withoutIdempotency: { dynamoCalls: round(avgCalls(bare)), p50Ms: round(bareP50) },
        firstDelivery: {
          dynamoCalls: round(firstCalls),
          extraDynamoCalls: round(firstCalls - avgCalls(bare)),
          p50Ms: round(firstP50),
          addedP50Ms: round(firstP50 - bareP50),
        },
        duplicate: { dynamoCalls: round(duplicateCalls), p50Ms: round(duplicateP50) },
        duplicateVsFirst: { calls: round(duplicateCalls / firstCalls), p50: round(duplicateP50 / firstP50) },
        goalMet: duplicateCalls / firstCalls <= 0.5 && duplicateP50 / firstP50 <= 0.5,
      },
      throughput: {
        messages: THROUGHPUT_MESSAGES,
        merchants: MERCHANTS,
        byEndpointLatency: throughputs,
        // A real merchant endpoint answers in tens to hundreds of ms; at 10 ms on this machine the
        // batch is bound by DynamoDB Local, which serves one process's calls nearly one at a time.
        goalMet: (throughputs.at(-1)?.ratio ?? 0) >= 4,
      },
      delivered: servers.reduce((sum, s) => sum + s.received.length, 0),
    }),
  );
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await secrets.stop();
  await env.stop();
}
