import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { LEDGER_METRICS } from '../lambdas/shared/metrics.ts';
import { ApiFunction } from './api-function.ts';
import { businessCountAlarm } from './business-alarms.ts';
import type { EventStore } from './event-store.ts';
import type { IdempotencyTable } from './idempotency-table.ts';
import type { MerchantNotifications } from './merchant-notifications.ts';
import { WorkQueue } from './queues.ts';

/** Environment variables the receiver and the worker read (lambdas/shared/config.ts). */
export const PROCESSOR_WEBHOOKS_ENV = {
  inboxTable: ENV.webhookInboxTable,
  queueUrl: ENV.processorEventsQueueUrl,
  secretArn: ENV.processorWebhookSecretArn,
} as const;

/** The signing secret's logical id: stable, so `LEDGERLINE_LOCAL_SECRET_ProcessorWebhookSecret` names it locally. */
export const PROCESSOR_WEBHOOK_SECRET_ID = 'ProcessorWebhookSecret';

/** Properties of {@link ProcessorWebhooks}. */
export interface ProcessorWebhooksProps {
  readonly eventStore: EventStore;
  readonly idempotency: IdempotencyTable;
  /** Where dispute notifications go. */
  readonly notifications: MerchantNotifications;
  /**
   * First retry delay bound of a failed event (full jitter, doubling up to `retryCap`).
   * @default Duration.seconds(2)
   */
  readonly retryBase?: Duration;
  /** @default Duration.minutes(5) */
  readonly retryCap?: Duration;
  /**
   * An event that came before its predecessor (a dispute lost before it opened) waits as a delayed
   * message: first this long, doubling up to 15 minutes...
   * @default Duration.seconds(30)
   */
  readonly parkBase?: Duration;
  /**
   * ...for at most this long after it was received; then it fails toward the DLQ like any other.
   * @default Duration.days(3)
   */
  readonly parkWindow?: Duration;
  /**
   * Reserved concurrency of the function that receives the webhooks (the one given to `grantReceive`):
   * the unauthenticated route can never run more than this many at once, so a flood of it cannot take
   * the account's concurrency from the tenants' API, and it always has this many. Keep it at least the
   * route's method burst (LedgerApi's `publicRouteThrottle`, 40), so that API Gateway's throttle, not
   * Lambda's, answers a flood (with 429).
   * @default 40
   */
  readonly receiverReservedConcurrency?: number;
}

/** The default of {@link ProcessorWebhooksProps.receiverReservedConcurrency}. */
export const RECEIVER_RESERVED_CONCURRENCY = 40;

/**
 * The processor's signed webhooks: the signing secret (Secrets Manager; put the processor's value
 * there), the audit inbox (raw payloads by processor event id, 90 days), the inbound WorkQueue and
 * its worker, which applies each event once (disputes as ledger holds, capture confirmations and
 * refund results through the saga's commands).
 */
export class ProcessorWebhooks extends Construct {
  public readonly inbox: TableV2;
  public readonly signingSecret: Secret;
  public readonly worker: ApiFunction;
  public readonly queue: WorkQueue;
  /** Fires when a processor event is refused for good (its inbox item says rejected, and why). */
  public readonly rejectedAlarm: Alarm;
  readonly #receiverConcurrency: number;

  constructor(scope: Construct, id: string, props: ProcessorWebhooksProps) {
    super(scope, id);
    this.#receiverConcurrency = props.receiverReservedConcurrency ?? RECEIVER_RESERVED_CONCURRENCY;
    if (!Number.isInteger(this.#receiverConcurrency) || this.#receiverConcurrency < 1) {
      throw new Error(
        `receiverReservedConcurrency must be a positive integer, got ${this.#receiverConcurrency}`,
      );
    }

    this.inbox = new TableV2(this, 'Inbox', {
      partitionKey: { name: 'eventId', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.signingSecret = new Secret(this, 'SigningSecret', {
      description:
        'HMAC secret the card processor signs webhooks with; a JSON array ["new","old"] while a rotation overlaps',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    (this.signingSecret.node.defaultChild as CfnSecret).overrideLogicalId(PROCESSOR_WEBHOOK_SECRET_ID);
    Validations.of(this.signingSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The processor issues this secret; it is rotated on its schedule with PutSecretValue (two values overlap).',
    });

    this.worker = new ApiFunction(this, 'Worker', {
      entry: 'lambdas/handlers/workers/processor-events.ts',
      timeout: Duration.seconds(30),
    });
    const fn = this.worker.function;
    this.queue = new WorkQueue(this, 'Events', {
      consumer: fn,
      description: 'processor webhook events',
      batchSize: 10,
      maxConcurrency: 5,
    });
    fn.addEnvironment(ENV.workQueueUrl, this.queue.queue.queueUrl);
    fn.addEnvironment(ENV.retryBaseSeconds, String((props.retryBase ?? Duration.seconds(2)).toSeconds()));
    fn.addEnvironment(ENV.retryCapSeconds, String((props.retryCap ?? Duration.minutes(5)).toSeconds()));
    fn.addEnvironment(ENV.parkBaseSeconds, String((props.parkBase ?? Duration.seconds(30)).toSeconds()));
    fn.addEnvironment(ENV.parkWindowSeconds, String((props.parkWindow ?? Duration.days(3)).toSeconds()));
    // Parking sends the early event back to its own queue, delayed.
    this.queue.queue.grantSendMessages(fn);
    this.rejectedAlarm = businessCountAlarm(this, 'RejectedAlarm', {
      fn,
      metric: LEDGER_METRICS.processorEventsRejected,
      description:
        'A processor event was refused for good: its inbox item (outcome rejected) says why; book it by hand if money moved',
    });
    props.eventStore.grantAppend(fn);
    props.idempotency.grantReadWrite(fn);
    props.notifications.grantEnqueue(fn);
    this.grantInbox(fn, ['dynamodb:UpdateItem']);
  }

  /**
   * Lets the receiver verify (read the secret), store the raw event and enqueue it; and gives it its
   * reserved concurrency (`receiverReservedConcurrency`).
   */
  public grantReceive(fn: LambdaFunction): void {
    const cfn = fn.node.defaultChild;
    if (cfn instanceof CfnFunction) cfn.reservedConcurrentExecutions = this.#receiverConcurrency;
    this.grantInbox(fn, ['dynamodb:UpdateItem']);
    fn.addEnvironment(PROCESSOR_WEBHOOKS_ENV.queueUrl, this.queue.queue.queueUrl);
    this.queue.queue.grantSendMessages(fn);
    fn.addEnvironment(PROCESSOR_WEBHOOKS_ENV.secretArn, this.signingSecret.secretArn);
    this.signingSecret.grantRead(fn);
  }

  private grantInbox(fn: LambdaFunction, actions: string[]): Grant {
    fn.addEnvironment(PROCESSOR_WEBHOOKS_ENV.inboxTable, this.inbox.tableName);
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.inbox.tableArn] });
  }
}
