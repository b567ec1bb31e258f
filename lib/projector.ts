import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEDGER_METRICS } from '../lambdas/shared/metrics.ts';
import { ApiFunction } from './api-function.ts';
import { businessCountAlarm } from './business-alarms.ts';
import type { EventStore } from './event-store.ts';
import { DeadLetterQueue } from './queues.ts';
import type { ReadModels } from './read-models.ts';

/** Properties of a {@link Projector}. */
export interface ProjectorProps {
  /** The events table whose stream feeds the projector (read for gap filling, never written). */
  readonly eventStore: EventStore;
  /** The read models it keeps. */
  readonly readModels: ReadModels;
  /**
   * Records per invocation. Large on purpose: a batch folds each stream's events into one guarded
   * commit per read model, so more records per batch means fewer writes per record (about 1 MB of
   * records, far below the 6 MB invocation payload).
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * Retries of a failing batch (bisected each time) before its metadata goes to the failure queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the failure queue instead of being retried; well under the
   * stream's 24 h retention, so a redrive can still read them from the stream.
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Alarm when the oldest record waiting is older than this.
   * @default Duration.minutes(1)
   */
  readonly iteratorAgeThreshold?: Duration;
}

/**
 * The projector: one function, the events table stream's only consumer besides the relay, keeping
 * every read model. It projects INSERT records (and alarms on any MODIFY or REMOVE), in order per shard (parallelization 1), partial
 * batch responses, bisection and bounded retries; what still fails lands as metadata in the failure
 * queue for `npm run projections:redrive`. Alarms on iterator age and on the failure queue.
 */
export class Projector extends Construct {
  /** The projector function. */
  public readonly function: ApiFunction;
  /** On-failure destination of the stream mapping: batch metadata (shard, sequence range), not records. */
  public readonly failures: Queue;
  /** Fires when the projector falls behind the stream. */
  public readonly iteratorAgeAlarm: Alarm;
  /** Fires as soon as a batch lands in the failure queue. */
  public readonly failuresAlarm: Alarm;
  /** Fires when a processor fact was booked over a ledger rule (a frozen merchant, a balance gone negative). */
  public readonly factsOverRulesAlarm: Alarm;
  /** Fires when an event item was modified or removed (the events table is append-only). */
  public readonly tamperAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ProjectorProps) {
    super(scope, id);

    this.function = new ApiFunction(this, 'Function', {
      entry: 'lambdas/handlers/projectors/projector.ts',
      // A batch of 500 records with gap fills stays far below this; a stuck call must not hold the shard long.
      timeout: Duration.seconds(60),
    });
    const fn = this.function.function;
    props.eventStore.grantRead(fn);
    props.readModels.grantWrite(fn);

    const failures = new DeadLetterQueue(this, 'Failures', {
      description:
        'projector batches that failed for good (metadata only): fix the cause, then npm run projections:redrive',
    });
    this.failures = failures.queue;
    this.failuresAlarm = failures.depthAlarm;

    fn.addEventSource(
      new DynamoEventSource(props.eventStore.eventsTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 500,
        // No batching window: every record is projected as soon as it is polled (lag goal p99 ≤ 1 s).
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 5,
        maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
        reportBatchItemFailures: true,
        // Streams order records per item only; the guards make any order safe, but one batch at a
        // time per shard keeps gap fills rare and the load on each guard single-writer.
        parallelizationFactor: 1,
        // No filter: INSERTs are projected, and a MODIFY or REMOVE (which nothing in the stack can do to
        // the append-only events table) is reported as tampering instead of passing unseen.
        onFailure: new SqsDlq(this.failures),
      }),
    );

    const threshold = props.iteratorAgeThreshold ?? Duration.minutes(1);
    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: `The projector is more than ${threshold.toHumanString()} behind the events stream`,
      metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: threshold.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.factsOverRulesAlarm = businessCountAlarm(this, 'FactsOverRulesAlarm', {
      fn,
      metric: LEDGER_METRICS.factsOverrode,
      description:
        'A processor fact (dispute, chargeback, completed refund) was booked over a ledger rule: an account is frozen or negative',
    });
    this.tamperAlarm = businessCountAlarm(this, 'TamperAlarm', {
      fn,
      metric: LEDGER_METRICS.eventsChanged,
      description:
        'An event item was modified or removed: the events table is append-only; audit the stream named in the log',
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the stream mapping; it is alarmed and redriven by a CLI.',
    });
  }
}
