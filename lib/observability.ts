import { Aspects, Duration, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, LogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { BUSINESS_METRICS, METRIC_NAMESPACE } from '../lambdas/shared/metrics.ts';

/** `-c ledgerline:alarmEmail=ops@example.com` subscribes that address to the stage's alarm topic. */
export const ALARM_EMAIL_CONTEXT = 'ledgerline:alarmEmail';

/** The saga's compensation ran out of retries (its `CompensationFailed` state), from its execution log. */
export const COMPENSATIONS_FAILED_METRIC = 'CompensationsFailed';

/** Properties of {@link Observability}. */
export interface ObservabilityProps {
  readonly stage: string;
  readonly api: RestApi;
  /** The payment saga: its `CompensationFailed` executions are counted from its log group (the `Logs` child). */
  readonly stateMachine: StateMachine;
  readonly sagaLogs: LogGroup;
  /** The tables whose throttled requests page someone (the events table: every write goes through it). */
  readonly throttledTables: readonly TableV2[];
  /** An address for the topic; default: the `ledgerline:alarmEmail` context, else none. */
  readonly alarmEmail?: string;
  /** The API alarms' thresholds (the stage profile's). @default API_THRESHOLDS */
  readonly apiThresholds?: ApiThresholds;
}

/** When the API alarms: the percent of requests answered 5xx, and the p99 latency. */
export interface ApiThresholds {
  readonly api5xxPercent: number;
  readonly apiP99LatencyMs: number;
}

/** The default: more than 1 % of answers 5xx, or a p99 above 2 s. */
export const API_THRESHOLDS: ApiThresholds = { api5xxPercent: 1, apiP99LatencyMs: 2000 };

const ONE_MINUTE = Duration.minutes(1);

/** A ledger metric as the functions write it (lambdas/shared/metrics.ts), stack-wide. */
function ledgerMetric(metricName: string, statistic = 'Sum', period = ONE_MINUTE): Metric {
  return new Metric({ namespace: METRIC_NAMESPACE, metricName, statistic, period });
}

/**
 * Every alarm of a stage pages the same way: its one SNS topic (KMS-encrypted, TLS only) gets every
 * `AWS::CloudWatch::Alarm` of the stack as alarm and OK action (an aspect, so an alarm added anywhere,
 * later too, is covered), with an optional email subscription. Adds the alarms the rest of the stack
 * does not own (API 5xx rate and p99 latency, Lambda and DynamoDB throttles, saga compensations that
 * failed) and a CloudWatch dashboard per stage: traffic, business measures, lag, queues and alarms.
 */
export class Observability extends Construct {
  public readonly topic: Topic;
  /** The topic's key: CloudWatch may use it to publish. */
  public readonly key: Key;
  public readonly dashboard: Dashboard;
  public readonly api5xxAlarm: Alarm;
  public readonly apiLatencyAlarm: Alarm;
  public readonly lambdaThrottlesAlarm: Alarm;
  public readonly tableThrottlesAlarm: Alarm;
  public readonly compensationFailedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const thresholds = props.apiThresholds ?? API_THRESHOLDS;
    this.key = new Key(this, 'TopicKey', {
      description: `Ledgerline ${props.stage}: the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to an encrypted topic only if the key lets it.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Ledgerline ${props.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    const email = props.alarmEmail ?? this.node.tryGetContext(ALARM_EMAIL_CONTEXT);
    if (typeof email === 'string' && email !== '') this.topic.addSubscription(new EmailSubscription(email));

    const requests = props.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' });
    const errors = props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    this.api5xxAlarm = new Alarm(this, 'Api5xxRateAlarm', {
      alarmDescription: `More than ${thresholds.api5xxPercent}% of API requests answered 5xx in 5 minutes.`,
      metric: new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { requests, errors },
        period: Duration.minutes(5),
        label: 'API 5xx %',
      }),
      threshold: thresholds.api5xxPercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const p99 = props.api.metricLatency({ period: Duration.minutes(5), statistic: 'p99' });
    this.apiLatencyAlarm = new Alarm(this, 'ApiLatencyP99Alarm', {
      alarmDescription: `API p99 latency above ${thresholds.apiP99LatencyMs} ms for 15 minutes.`,
      metric: p99,
      threshold: thresholds.apiP99LatencyMs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // Account-wide (Lambda publishes throttles per function, and a stack has more functions than an
    // alarm's metric math takes): a stage belongs in its own account.
    const lambdaThrottles = new Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      statistic: 'Sum',
      period: ONE_MINUTE,
    });
    this.lambdaThrottlesAlarm = new Alarm(this, 'LambdaThrottlesAlarm', {
      alarmDescription: 'Lambda throttled invocations in this account and region.',
      metric: lambdaThrottles,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const tableThrottles = props.throttledTables.map((table) =>
      table.metricThrottledRequestsForOperations({
        operations: [Operation.PUT_ITEM, Operation.TRANSACT_WRITE_ITEMS, Operation.QUERY, Operation.GET_ITEM],
        period: ONE_MINUTE,
      }),
    );
    this.tableThrottlesAlarm = new Alarm(this, 'TableThrottlesAlarm', {
      alarmDescription: 'DynamoDB throttled requests on the event store (hot partitions: see Hot accounts).',
      metric: sum(tableThrottles, 'throttled requests'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new MetricFilter(this, 'CompensationFailedFilter', {
      logGroup: props.sagaLogs,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.type', '=', 'ExecutionFailed'),
        FilterPattern.stringValue('$.details.error', '=', 'CompensationFailed'),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: COMPENSATIONS_FAILED_METRIC,
      metricValue: '1',
    });
    this.compensationFailedAlarm = new Alarm(this, 'CompensationFailedAlarm', {
      alarmDescription:
        'A payment compensation ran out of retries (CompensationFailed): money to put right. npm run saga:resume.',
      metric: ledgerMetric(COMPENSATIONS_FAILED_METRIC),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    Aspects.of(stack).add(new AlarmsTo(new SnsAction(this.topic)));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Ledgerline-${props.stage}`,
      defaultInterval: Duration.hours(3),
    });
    const business = (title: string, names: readonly string[]) =>
      new GraphWidget({ title, width: 8, left: names.map((name) => ledgerMetric(name)) });
    const byDimension = (title: string, metric: string, dimension: string, statistic: string) =>
      new GraphWidget({
        title,
        width: 8,
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRIC_NAMESPACE},${dimension}} MetricName="${metric}"', '${statistic}', 60)`,
            period: ONE_MINUTE,
          }),
        ],
      });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API requests and 5xx', width: 8, left: [requests], right: [errors] }),
      new GraphWidget({ title: 'API latency p99 (ms)', width: 8, left: [p99] }),
      new GraphWidget({ title: 'Throttles', width: 8, left: [lambdaThrottles, ...tableThrottles] }),
    );
    this.dashboard.addWidgets(
      business('Transfers posted', [BUSINESS_METRICS.transfersPosted]),
      byDimension(
        'Amount posted by currency (minor units)',
        BUSINESS_METRICS.amountPosted,
        'Currency',
        'Sum',
      ),
      business('Payments', [
        BUSINESS_METRICS.paymentsSettled,
        BUSINESS_METRICS.paymentsFailed,
        BUSINESS_METRICS.paymentsCompensated,
        BUSINESS_METRICS.compensationsRun,
        COMPENSATIONS_FAILED_METRIC,
      ]),
    );
    this.dashboard.addWidgets(
      byDimension('Webhook deliveries by outcome', BUSINESS_METRICS.webhookDeliveries, 'Outcome', 'Sum'),
      new GraphWidget({
        title: 'Projector lag (ms)',
        width: 8,
        left: [ledgerMetric(BUSINESS_METRICS.projectorLag, 'Maximum')],
      }),
      business('Conflicts retried, faults absorbed', [
        BUSINESS_METRICS.conflictsRetried,
        BUSINESS_METRICS.faultsAbsorbed,
      ]),
    );
    const alarms = stack.node.findAll().filter((c): c is Alarm => c instanceof Alarm);
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', width: 24, height: 8, alarms: sortedByPath(alarms) }),
    );
  }
}

/** The sum of metrics (each may be a math expression of its own). */
function sum(metrics: readonly IMetric[], label: string): IMetric {
  const usingMetrics = Object.fromEntries(metrics.map((metric, i) => [`m${i}`, metric]));
  return new MathExpression({
    expression: Object.keys(usingMetrics).join(' + ') || '0',
    usingMetrics,
    period: ONE_MINUTE,
    label,
  });
}

function sortedByPath(alarms: readonly Alarm[]): Alarm[] {
  return [...alarms].sort((a, b) => a.node.path.localeCompare(b.node.path));
}

/** Gives every alarm of the tree the action, as alarm and as OK action (once). */
class AlarmsTo implements IAspect {
  readonly #action: SnsAction;
  readonly #done = new Set<Alarm>();

  constructor(action: SnsAction) {
    this.#action = action;
  }

  visit(node: IConstruct): void {
    if (!(node instanceof Alarm) || this.#done.has(node)) return;
    this.#done.add(node);
    node.addAlarmAction(this.#action);
    node.addOkAction(this.#action);
  }
}

/** The saga's log group, the `Logs` child its construct creates. */
export function sagaLogGroup(saga: Construct): LogGroup {
  const logs = saga.node.tryFindChild('Logs');
  if (!(logs instanceof LogGroup)) throw new Error(`${saga.node.path} has no Logs log group`);
  return logs;
}
