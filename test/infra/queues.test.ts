import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { DeadLetterQueue, WorkQueue, type WorkQueueProps } from '../../lib/queues.ts';

function stackWith(props: Partial<WorkQueueProps> & { timeoutSeconds?: number } = {}) {
  const stack = new Stack(new App(), 'Test');
  const consumer = new LambdaFunction(stack, 'Worker', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('export const handler = async () => ({})'),
    timeout: Duration.seconds(props.timeoutSeconds ?? 30),
  });
  new WorkQueue(stack, 'Work', { consumer, description: 'test messages', ...props });
  return Template.fromStack(stack);
}

describe('WorkQueue', () => {
  it('defaults the visibility timeout to 6 × the consumer timeout + the batching window', () => {
    const template = stackWith({ maxBatchingWindow: Duration.seconds(5) });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 30 + 5 });
  });

  it('fails synth for a visibility timeout that is too short, naming the queue and the value to set', () => {
    expect(() => stackWith({ visibilityTimeout: Duration.seconds(179) })).toThrow(
      /WorkQueue Test\/Work: visibilityTimeout is 179 s.*at least Duration\.seconds\(180\)/,
    );
  });

  it('refuses a maxReceiveCount below 5', () => {
    expect(() => stackWith({ maxReceiveCount: 3 })).toThrow(/maxReceiveCount is 3; set it to at least 5/);
  });

  it('redrives to an encrypted DLQ kept 14 days after maxReceiveCount receives', () => {
    const template = stackWith({ maxReceiveCount: 7 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 7, deadLetterTargetArn: Match.anyValue() },
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LedgerDataKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LedgerDataKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('maps the queue with partial batch responses and a concurrency cap', () => {
    stackWith({ batchSize: 7, maxConcurrency: 3 }).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 7,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('alarms on any dead letter and on the age of the oldest message', () => {
    const template = stackWith();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
  });
});

describe('DeadLetterQueue', () => {
  it('keeps messages 14 days, encrypted, and alarms on the first one', () => {
    const stack = new Stack(new App(), 'Dlq');
    new DeadLetterQueue(stack, 'Failures', { description: 'failed batches' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1_209_600,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LedgerDataKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });
});
