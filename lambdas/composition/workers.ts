import type { SQSClient } from '@aws-sdk/client-sqs';
import { fullJitterDelay } from '../adapters/backoff.ts';
import { DynamoDbWebhookInbox } from '../adapters/dynamodb-webhooks.ts';
import { confirmCapture } from '../application/payments/commands.ts';
import { recordRefundResult } from '../application/payments/refunds.ts';
import type { CommandContext } from '../application/unit-of-work.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import type { DeliveryLog, MerchantEndpoints, WebhookInbox } from '../domain/webhooks.ts';
import {
  deliveryConfig,
  merchantEndpointsConfig,
  parkingConfig,
  processorWebhooksConfig,
  type WorkerQueueConfig,
  workerQueueConfig,
} from '../shared/config.ts';
import type { IdempotencyStore } from '../shared/idempotency.ts';
import { emfMetrics, type Metrics } from '../shared/metrics.ts';
import { PerInvocationEndpoints } from '../shared/per-invocation-endpoints.ts';
import type { ParkingPolicy } from '../shared/processor-events.ts';
import type { WorkQueue } from '../shared/sqs-batch.ts';
import { pinnedFetch, resolvesInternally } from '../shared/webhook-url.ts';
import { dynamoDbClient, perContainer, sqsClient } from './container.ts';
import { idempotencyStore, ledgerPorts } from './ledger.ts';
import { type CorrelatedNotifier, deliveryLog, merchantEndpoints, merchantNotifier } from './merchants.ts';

/** Seconds until the next try after the `receiveCount`-th failed one: exponential, full jitter. */
export function retryDelaySeconds(
  receiveCount: number,
  limits: { readonly baseSeconds: number; readonly capSeconds: number },
  random: () => number = Math.random,
): number {
  const ms = fullJitterDelay(
    receiveCount,
    { base: limits.baseSeconds * 1000, cap: limits.capSeconds * 1000 },
    random,
  );
  return Math.min(43_200, Math.ceil(ms / 1000));
}

/** A worker's own queue: retries spaced by changing the message's visibility. */
export function buildWorkQueue(client: SQSClient, config: WorkerQueueConfig): WorkQueue {
  const limits = { baseSeconds: config.retryBaseSeconds, capSeconds: config.retryCapSeconds };
  return {
    client,
    queueUrl: config.queueUrl,
    retryDelaySeconds: (receiveCount) => retryDelaySeconds(receiveCount, limits),
  };
}

/** What every queue worker gets besides its ports. */
export interface WorkerDeps {
  readonly queue: WorkQueue;
  readonly idempotency: IdempotencyStore;
}

/** What a delivery needs; tests pass their own. */
export interface DeliveryPorts {
  readonly endpoints: MerchantEndpoints;
  readonly log: DeliveryLog;
  readonly fetch: typeof fetch;
  readonly now: () => Date;
  readonly allowLoopbackHttp: boolean;
  readonly timeoutMs: number;
  readonly resolvesInternally: (url: URL) => Promise<boolean>;
  /** Where each attempt is counted by outcome (`WebhookDeliveries`). */
  readonly metrics?: Metrics;
}
/** The delivery worker's dependencies. */
export interface DeliveryWorkerDeps extends WorkerDeps {
  readonly ports: DeliveryPorts;
  /** Called at the start of every invocation (forgets the endpoints cached for the last batch). */
  readonly startInvocation: () => void;
  /** Where faults absorbed by a redelivery are counted. */
  readonly metrics: Metrics;
}

/** The delivery worker: endpoint lookups cached per invocation, so a re-registered one is used at once. */
export function buildDeliveryWorker(
  parts: WorkerDeps &
    Omit<DeliveryPorts, 'endpoints' | 'fetch' | 'now' | 'resolvesInternally'> & {
      readonly endpoints: MerchantEndpoints;
    },
): DeliveryWorkerDeps {
  const endpoints = new PerInvocationEndpoints(parts.endpoints);
  const { allowLoopbackHttp } = parts;
  const metrics = parts.metrics ?? emfMetrics();
  return {
    metrics,
    queue: parts.queue,
    idempotency: parts.idempotency,
    ports: {
      endpoints,
      log: parts.log,
      // The connection goes to an address checked as public (unless loopback is allowed).
      fetch: pinnedFetch(allowLoopbackHttp),
      now: () => new Date(),
      allowLoopbackHttp,
      timeoutMs: parts.timeoutMs,
      resolvesInternally: (url) => resolvesInternally(url, allowLoopbackHttp),
      metrics,
    },
    startInvocation: () => endpoints.reset(),
  };
}

/** The delivery worker's composition root. */
export const deliveryWorker = perContainer(() =>
  buildDeliveryWorker({
    queue: buildWorkQueue(sqsClient(), workerQueueConfig()),
    idempotency: idempotencyStore(),
    endpoints: merchantEndpoints(),
    log: deliveryLog(),
    allowLoopbackHttp: merchantEndpointsConfig().allowLoopbackHttp,
    timeoutMs: deliveryConfig().requestTimeoutMs,
  }),
);

/** What applying a processor event needs; tests pass their own. */
export interface ProcessorEventPorts {
  readonly ledger: LedgerPorts;
  readonly inbox: WebhookInbox;
  /** Dispute notifications carry the processor event's correlation id. */
  readonly notifier: CorrelatedNotifier;
  /** The saga's commands for capture confirmations and refund results (issue 5). */
  readonly payments: PaymentResults;
  /** Counts a processor event the ledger refused for good, for the alarm (bound to the function by the handler). */
  readonly rejected?: (details: Readonly<Record<string, unknown>>) => void;
}

/** The payment saga's side of processor events. */
export interface PaymentResults {
  confirmCapture(
    ports: LedgerPorts,
    ctx: CommandContext,
    input: { paymentId: string; processorPaymentId: string },
  ): Promise<unknown>;
  recordRefundResult(
    ports: LedgerPorts,
    ctx: CommandContext,
    input: { paymentId: string; refundId: string; outcome: 'succeeded' | 'failed' },
  ): Promise<unknown>;
}
/** The processor-events worker's dependencies. */
export interface ProcessorEventsWorkerDeps extends WorkerDeps {
  readonly ports: ProcessorEventPorts;
  /** How an event that came before its predecessor waits for it. */
  readonly parking: ParkingPolicy;
  /** Where the alarms' counts go (rejected and parked events). */
  readonly metrics: Metrics;
}

/** The processor-events worker's composition root. */
export const processorEventsWorker = perContainer(
  (): ProcessorEventsWorkerDeps => ({
    queue: buildWorkQueue(sqsClient(), workerQueueConfig()),
    idempotency: idempotencyStore(),
    ports: {
      ledger: ledgerPorts(),
      inbox: new DynamoDbWebhookInbox({
        client: dynamoDbClient(),
        tableName: processorWebhooksConfig().inboxTableName,
      }),
      notifier: merchantNotifier(),
      payments: { confirmCapture, recordRefundResult },
    },
    parking: parkingConfig(),
    metrics: emfMetrics(),
  }),
);
