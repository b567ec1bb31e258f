import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { ApiFunction } from './api-function.ts';
import type { IdempotencyTable } from './idempotency-table.ts';
import { WorkQueue } from './queues.ts';

/** Environment variables (lambdas/shared/config.ts). */
export const MERCHANT_NOTIFICATIONS_ENV = {
  queueUrl: ENV.merchantNotificationsQueueUrl,
  endpointsTable: ENV.merchantEndpointsTable,
  secretsKey: ENV.endpointSecretsKeyArn,
  allowLoopbackHttp: ENV.webhookAllowLoopbackHttp,
  deliveriesTable: ENV.deliveriesTable,
} as const;

/** Properties of {@link MerchantNotifications}. */
export interface MerchantNotificationsProps {
  readonly idempotency: IdempotencyTable;
  /**
   * Accept `http://` webhook URLs on loopback hosts (127.0.0.1, localhost): for a non-production
   * stage whose merchants are test servers on the same machine. Never in production: on Lambda,
   * loopback is the Runtime API.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
  /**
   * Receives before a notification moves to the DLQ; with the backoff below, about an hour of a
   * merchant's endpoint being down.
   * @default 12
   */
  readonly maxReceiveCount?: number;
  /** First retry delay bound (full jitter, doubling up to `retryCap`). @default Duration.seconds(5) */
  readonly retryBase?: Duration;
  /** @default Duration.minutes(15) */
  readonly retryCap?: Duration;
  /** How long to wait for a merchant's endpoint. @default Duration.seconds(5) */
  readonly requestTimeout?: Duration;
  /**
   * Reserved concurrency of the delivery worker: a flood of notifications (or merchants' slow
   * endpoints) can never take more of the account's concurrency than this from the API, and the worker
   * always has it. At least the queue mapping's `maxConcurrency` (5): below it Lambda would throttle the
   * mapping's invocations, and throttled SQS messages count receives toward the DLQ.
   * @default 10
   */
  readonly workerReservedConcurrency?: number;
}

/** The delivery queue's mapping concurrency, and the default reserved concurrency of its worker. */
export const DELIVERY_CONCURRENCY: { readonly mapping: number; readonly reserved: number } = {
  mapping: 5,
  reserved: 10,
};

/**
 * Outbound merchant notifications: merchants' webhook endpoints (signing secrets sealed under a key
 * kept in Secrets Manager), the notifications WorkQueue and its delivery worker, which signs and
 * POSTs each notification once, retrying with backoff by changing the message's visibility, and the
 * log of every delivery attempt.
 */
export class MerchantNotifications extends Construct {
  public readonly endpoints: TableV2;
  public readonly deliveries: TableV2;
  /** The key that seals endpoints' signing secrets. */
  public readonly secretsKey: Secret;
  public readonly worker: ApiFunction;
  public readonly queue: WorkQueue;
  readonly #allowLoopbackHttp: boolean;

  constructor(scope: Construct, id: string, props: MerchantNotificationsProps) {
    super(scope, id);
    this.#allowLoopbackHttp = props.allowLoopbackHttp ?? false;

    this.endpoints = new TableV2(this, 'Endpoints', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.deliveries = new TableV2(this, 'Deliveries', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.secretsKey = new Secret(this, 'EndpointSecretsKey', {
      description: 'Key that seals merchants’ webhook signing secrets in the endpoints table (AES-256-GCM)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    (this.secretsKey.node.defaultChild as CfnSecret).overrideLogicalId('EndpointSecretsKey');
    Validations.of(this.secretsKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating this key means re-sealing every endpoint secret; done by a migration, not by a rotation Lambda.',
    });

    this.worker = new ApiFunction(this, 'Worker', {
      entry: 'lambdas/handlers/workers/deliver-notification.ts',
      // A batch of 10 deliveries in parallel, each bounded by the request timeout.
      timeout: Duration.seconds(20),
    });
    const fn = this.worker.function;
    this.queue = new WorkQueue(this, 'Notifications', {
      consumer: fn,
      description: 'merchant notifications',
      batchSize: 10,
      maxConcurrency: DELIVERY_CONCURRENCY.mapping,
      maxReceiveCount: props.maxReceiveCount ?? 12,
    });
    const reserved = props.workerReservedConcurrency ?? DELIVERY_CONCURRENCY.reserved;
    if (!Number.isInteger(reserved) || reserved < DELIVERY_CONCURRENCY.mapping) {
      throw new Error(
        `workerReservedConcurrency must be an integer of at least the mapping's maxConcurrency (${DELIVERY_CONCURRENCY.mapping}), got ${reserved}`,
      );
    }
    const cfn = fn.node.defaultChild;
    if (cfn instanceof CfnFunction) cfn.reservedConcurrentExecutions = reserved;
    fn.addEnvironment(ENV.workQueueUrl, this.queue.queue.queueUrl);
    fn.addEnvironment(ENV.retryBaseSeconds, String((props.retryBase ?? Duration.seconds(5)).toSeconds()));
    fn.addEnvironment(ENV.retryCapSeconds, String((props.retryCap ?? Duration.minutes(15)).toSeconds()));
    fn.addEnvironment(
      ENV.deliveryTimeoutMs,
      String((props.requestTimeout ?? Duration.seconds(5)).toMilliseconds()),
    );
    // A notification whose lock another delivery holds waits it out as a delayed copy on this same queue.
    this.queue.queue.grantSendMessages(fn);
    props.idempotency.grantReadWrite(fn);
    this.grantEndpoints(fn, ['dynamodb:GetItem']);
    this.secretsKey.grantRead(fn);
    this.grantDeliveries(fn, ['dynamodb:PutItem']);
  }

  /** Lets `fn` send notifications to the queue (the relay, the processor-events worker, the saga). */
  public grantEnqueue(fn: LambdaFunction): void {
    fn.addEnvironment(MERCHANT_NOTIFICATIONS_ENV.queueUrl, this.queue.queue.queueUrl);
    this.queue.queue.grantSendMessages(fn);
  }

  /** Lets `fn` register endpoints: write the endpoint, seal its secret. */
  public grantRegisterEndpoints(fn: LambdaFunction): void {
    this.grantEndpoints(fn, ['dynamodb:PutItem']);
    this.secretsKey.grantRead(fn);
  }

  /** Lets `fn` read endpoints (never their secrets: no access to the key). */
  public grantReadEndpoints(fn: LambdaFunction): void {
    this.grantEndpoints(fn, ['dynamodb:GetItem']);
  }

  /** Lets `fn` list delivery attempts. */
  public grantReadDeliveries(fn: LambdaFunction): void {
    this.grantDeliveries(fn, ['dynamodb:Query']);
  }

  private grantEndpoints(fn: LambdaFunction, actions: string[]): Grant {
    fn.addEnvironment(MERCHANT_NOTIFICATIONS_ENV.endpointsTable, this.endpoints.tableName);
    fn.addEnvironment(MERCHANT_NOTIFICATIONS_ENV.secretsKey, this.secretsKey.secretArn);
    fn.addEnvironment(MERCHANT_NOTIFICATIONS_ENV.allowLoopbackHttp, String(this.#allowLoopbackHttp));
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.endpoints.tableArn] });
  }

  private grantDeliveries(fn: LambdaFunction, actions: string[]): Grant {
    fn.addEnvironment(MERCHANT_NOTIFICATIONS_ENV.deliveriesTable, this.deliveries.tableName);
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.deliveries.tableArn] });
  }
}
