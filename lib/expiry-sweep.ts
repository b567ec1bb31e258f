import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { TRANSFER_VIEW_INDEXES } from '../lambdas/domain/projections/transfer-view.ts';
import { ApiFunction } from './api-function.ts';
import type { EventStore } from './event-store.ts';
import type { ReadModels } from './read-models.ts';

/** Properties of an {@link ExpirySweep}. */
export interface ExpirySweepProps {
  /** The ledger it expires transfers in (load and append, as the API's write routes do). */
  readonly eventStore: EventStore;
  /** The read models: it queries the transfer view's `by-expiry` index only. */
  readonly readModels: ReadModels;
  /**
   * How often it runs: a pending transfer is expired at most this long (plus the projector's lag and
   * the sweep's own time) after its timeout.
   * @default Duration.minutes(1)
   */
  readonly every?: Duration;
}

/**
 * Expiry on time: an EventBridge rule runs the sweep every minute; the sweep reads the transfer view's
 * sparse `by-expiry` GSI (pending transfers with an expiry, over a few fixed partitions) and expires
 * what is due through the ledger's own command. Overlapping or missed runs are safe (see
 * lambdas/application/expiry-sweep.ts). Alarms when runs keep failing or stop happening.
 */
export class ExpirySweep extends Construct {
  /** The sweep function. */
  public readonly function: ApiFunction;
  /** The schedule (`rate(1 minute)`). */
  public readonly rule: Rule;
  /** Fires when runs fail three minutes in a row (transfers due but not expired). */
  public readonly errorsAlarm: Alarm;
  /** Fires when no run started for five minutes (the rule is disabled or the function is throttled). */
  public readonly missedRunsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ExpirySweepProps) {
    super(scope, id);
    const every = props.every ?? Duration.minutes(1);
    this.function = new ApiFunction(this, 'Function', {
      entry: 'lambdas/handlers/scheduled/expire-transfers.ts',
      // Under the period, so runs rarely overlap (they may: each expiry is exactly once anyway). It
      // stops reading pages 10 s before this, and the next run goes on.
      timeout: Duration.seconds(Math.min(55, Math.max(15, every.toSeconds() - 5))),
    });
    const fn = this.function.function;
    props.eventStore.grantAppend(fn);
    props.readModels.grantQueryIndex(fn, 'transfer-view', TRANSFER_VIEW_INDEXES.byExpiry.name);

    this.rule = new Rule(this, 'Schedule', {
      description:
        'Expires pending transfers past their timeout (lambdas/handlers/scheduled/expire-transfers.ts)',
      schedule: Schedule.rate(every),
      // A run that could not be delivered within one period is superseded by the next one.
      targets: [
        new LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.seconds(every.toSeconds()) }),
      ],
    });

    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription:
        'The expiry sweep fails: pending transfers past their timeout are not being expired (see its logs)',
      metric: fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.missedRunsAlarm = new Alarm(this, 'MissedRunsAlarm', {
      alarmDescription: 'The expiry sweep has not run for five minutes: is its schedule rule enabled?',
      metric: fn.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }
}
