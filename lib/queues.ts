import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { dataKey, QUEUE_DATA_KEY_REUSE } from './data-key.ts';

/** AWS's guidance for Lambda consumers: a message stays invisible for 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Below this, one throttled or crashed invocation can push a healthy message into the DLQ. */
export const MIN_MAX_RECEIVE_COUNT = 5;
/** SQS's maximum retention: an operator has two weeks to look at a dead letter. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * Every queue is encrypted with the stack's customer-managed data key; `grantSendMessages` and the
 * event source mappings grant its use to producers and consumers.
 */
function queueEncryption(scope: Construct) {
  return {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: dataKey(scope),
    dataKeyReuse: QUEUE_DATA_KEY_REUSE,
  } as const;
}

/** Properties of a {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** What lands here, for the alarm description (e.g. "webhook events that failed 5 times"). */
  readonly description: string;
}

/**
 * A queue where failed work waits for an operator: kept 14 days, encrypted (KMS), TLS only, and alarmed
 * as soon as one message is in it. Redrive with `npm run dlq -- redrive <queue>`.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;
  /** Fires when at least one message waits. */
  public readonly depthAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.depthAlarm = new Alarm(this, 'DepthAlarm', {
      alarmDescription: `${this.node.path}: ${props.description}. Inspect and redrive.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** Properties of a {@link WorkQueue}. */
export interface WorkQueueProps {
  /** The function that consumes the queue; its `timeout` must be set. */
  readonly consumer: LambdaFunction;
  /** What the queue carries, for alarm descriptions. */
  readonly description: string;
  /**
   * Messages per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long to gather a batch.
   * @default Duration.seconds(0)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent invocations for this queue (on the mapping: reserved concurrency would send
   * throttled messages to the DLQ).
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * Receives before a message moves to the DLQ; at least 5.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * At least 6 × the consumer's timeout + the batching window.
   * @default exactly that minimum
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Alarm when the oldest message waits longer than this.
   * @default Duration.minutes(5)
   */
  readonly maxMessageAge?: Duration;
}

/**
 * An SQS queue consumed by one Lambda, built so that at-least-once delivery cannot lose or spin on
 * a message: the visibility timeout covers six consumer timeouts (synth fails otherwise), a message
 * moves to a {@link DeadLetterQueue} after `maxReceiveCount` ≥ 5 receives, the mapping reports partial
 * batch failures and caps concurrency, and alarms watch the DLQ and the oldest message's age.
 */
export class WorkQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetters: DeadLetterQueue;
  /** Fires when the oldest message is older than `maxMessageAge`. */
  public readonly ageAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const timeout = props.consumer.timeout;
    if (!timeout) {
      throw new Error(`WorkQueue ${this.node.path}: its consumer has no timeout; set one on the function.`);
    }
    const window = props.maxBatchingWindow ?? Duration.seconds(0);
    const minimum = VISIBILITY_TIMEOUT_FACTOR * timeout.toSeconds() + window.toSeconds();
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(minimum);
    if (visibilityTimeout.toSeconds() < minimum) {
      throw new Error(
        `WorkQueue ${this.node.path}: visibilityTimeout is ${visibilityTimeout.toSeconds()} s, below ` +
          `${VISIBILITY_TIMEOUT_FACTOR} × the consumer timeout (${timeout.toSeconds()} s) + the batching window ` +
          `(${window.toSeconds()} s). Set visibilityTimeout to at least Duration.seconds(${minimum}).`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT;
    if (maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
      throw new Error(
        `WorkQueue ${this.node.path}: maxReceiveCount is ${maxReceiveCount}; set it to at least ${MIN_MAX_RECEIVE_COUNT}.`,
      );
    }

    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      description: `${props.description} that failed ${maxReceiveCount} times`,
    });
    this.queue = new Queue(this, 'Queue', {
      ...queueEncryption(this),
      enforceSSL: true,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount },
    });
    props.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: window,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 5,
      }),
    );
    const maxAge = props.maxMessageAge ?? Duration.minutes(5);
    this.ageAlarm = new Alarm(this, 'AgeAlarm', {
      alarmDescription: `${this.node.path}: ${props.description} wait longer than ${maxAge.toHumanString()}.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: maxAge.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
