import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { type LedgerMetric, METRIC_NAMESPACE } from '../lambdas/shared/metrics.ts';

/**
 * An alarm on a business count a function writes as an embedded-metric log line (lambdas/shared/metrics.ts):
 * it fires on the first one in a minute. These counts mean money moved outside that the ledger could not
 * book as usual, so one is enough to look.
 */
export function businessCountAlarm(
  scope: Construct,
  id: string,
  props: { readonly fn: LambdaFunction; readonly metric: LedgerMetric; readonly description: string },
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: props.description,
    metric: new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: props.metric,
      dimensionsMap: { FunctionName: props.fn.functionName },
      statistic: 'Sum',
      period: Duration.minutes(1),
    }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
