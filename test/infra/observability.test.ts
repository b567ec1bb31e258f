// The observability construct: one KMS-encrypted alarm topic per stage that every alarm notifies, the alarms
// the rest of the stack does not own, the dashboard, and the customer-managed data key on the ledger's data.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LedgerlineStack } from '../../lib/ledgerline-stack.ts';
import { ALARM_EMAIL_CONTEXT } from '../../lib/observability.ts';
import { stageProfile } from '../../lib/stage.ts';
import { logicalId, ofType, resource, stack, synthesizeStack } from './stack-under-test.ts';

synthesizeStack({ bundling: false });

const topicId = () => logicalId(stack.observability.topic);
const dataKeyId = () => ofType('AWS::KMS::Key').find(([id]) => id.startsWith('LedgerDataKey'))?.[0] ?? '';
const refersTo = (value: unknown, id: string) => JSON.stringify(value ?? null).includes(`"${id}"`);

describe('the alarm topic', () => {
  it('is the alarm and OK action of every alarm in the stack', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: topicId() }] });
      expect({ id, ok: alarm.Properties.OKActions }).toEqual({ id, ok: [{ Ref: topicId() }] });
    }
  });

  it('is encrypted with its own rotated key that CloudWatch may use, and takes TLS only', () => {
    const topic = resource(topicId());
    const keyId = logicalId(stack.observability.key);
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(resource(keyId).Properties.EnableKeyRotation).toBe(true);
    const statements = JSON.stringify(resource(keyId).Properties.KeyPolicy);
    expect(statements).toContain('cloudwatch.amazonaws.com');
    const policies = ofType('AWS::SNS::TopicPolicy').filter(([, p]) =>
      refersTo(p.Properties.Topics, topicId()),
    );
    expect(JSON.stringify(policies)).toContain('aws:SecureTransport');
  });

  it('has no subscription unless the context names an address, then an email one', () => {
    expect(ofType('AWS::SNS::Subscription')).toEqual([]);
    const app = new App({
      context: { [ALARM_EMAIL_CONTEXT]: 'ops@example.com', 'aws:cdk:bundling-stacks': [] },
    });
    const subscribed = Template.fromStack(new LedgerlineStack(app, 'Subscribed', { stage: 'dev' }));
    subscribed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('the alarms it adds', () => {
  const alarm = (id: string) =>
    resource(logicalId(id === '' ? stack : stack.observability.node.findChild(id)));

  it('watch the API 5xx rate and p99 latency', () => {
    const rate = alarm('Api5xxRateAlarm').Properties;
    expect(JSON.stringify(rate.Metrics)).toContain('5XXError');
    expect(rate.Threshold).toBe(stageProfile('dev').apiThresholds.api5xxPercent);
    const latency = alarm('ApiLatencyP99Alarm').Properties;
    expect(latency).toMatchObject({
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: stageProfile('dev').apiThresholds.apiP99LatencyMs,
    });
  });

  it('watch Lambda and DynamoDB throttles', () => {
    expect(alarm('LambdaThrottlesAlarm').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
    });
    const table = JSON.stringify(alarm('TableThrottlesAlarm').Properties.Metrics);
    expect(table).toContain('ThrottledRequests');
    expect(table).toContain(logicalId(stack.eventStore.eventsTable));
  });

  it('count CompensationFailed executions from the saga log and alarm on the first', () => {
    const [, filter] = ofType('AWS::Logs::MetricFilter')[0] ?? [];
    expect(filter?.Properties.FilterPattern).toContain('CompensationFailed');
    expect(filter?.Properties.MetricTransformations).toEqual([
      expect.objectContaining({ MetricNamespace: 'Ledgerline', MetricName: 'CompensationsFailed' }),
    ]);
    expect(alarm('CompensationFailedAlarm').Properties).toMatchObject({
      Namespace: 'Ledgerline',
      MetricName: 'CompensationsFailed',
      Threshold: 1,
    });
  });
});

describe('the dashboard', () => {
  it('is one per stage, with the business measures and every alarm', () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0] ?? [];
    expect(dashboard?.Properties.DashboardName).toBe('Ledgerline-dev');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of ['TransfersPosted', 'PaymentsSettled', 'WebhookDeliveries', 'ProjectorLagMs']) {
      expect(body).toContain(metric);
    }
    expect(body).toContain(logicalId(stack.projector.iteratorAgeAlarm));
  });
});

describe('the data key', () => {
  it('is customer-managed and rotated, and encrypts the events, snapshots and idempotency tables', () => {
    expect(resource(dataKeyId()).Properties.EnableKeyRotation).toBe(true);
    for (const table of [
      stack.eventStore.eventsTable,
      stack.eventStore.snapshotsTable,
      stack.idempotency.table,
    ]) {
      const props = resource(logicalId(table)).Properties;
      expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(refersTo(props.Replicas, dataKeyId())).toBe(true);
    }
  });

  it('encrypts every queue', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(3);
    for (const [id, queue] of queues) {
      expect({ id, key: queue.Properties.KmsMasterKeyId }).toEqual({
        id,
        key: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] },
      });
    }
  });
});
