import { physicalName } from '../naming.ts';
import type { Provisioner } from './provisioner.ts';
import { property, resolvedProperties } from './provisioner.ts';

/** `AWS::SQS::Queue`: a queue of the SQS emulator; it becomes a possible event source and DLQ. */
export const sqsQueueProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::SQS::Queue': {
    properties: {
      allowed: [
        'QueueName',
        'VisibilityTimeout',
        'MessageRetentionPeriod',
        'DelaySeconds',
        'MaximumMessageSize',
        'ReceiveMessageWaitTimeSeconds',
        'RedrivePolicy',
        'RedriveAllowPolicy',
        'FifoQueue',
        'ContentBasedDeduplication',
        'DeduplicationScope',
        'FifoThroughputLimit',
        'SqsManagedSseEnabled',
        'KmsMasterKeyId',
        'KmsDataKeyReusePeriodSeconds',
        'Tags',
      ],
    },
    provision(r, ctx) {
      const fifo = property(ctx, r, 'FifoQueue') === true || property(ctx, r, 'FifoQueue') === 'true';
      const name =
        property<string>(ctx, r, 'QueueName') ??
        (fifo
          ? `${physicalName(ctx.stackName, r.logicalId, 75)}.fifo`
          : physicalName(ctx.stackName, r.logicalId, 80));
      const properties = resolvedProperties(ctx, r);
      const queue = ctx.services.sqs.createQueue({ logicalId: r.logicalId, name, properties });
      ctx.world.queues.set(queue.arn, {
        url: queue.url,
        name,
        visibilityTimeout: Number(properties.VisibilityTimeout ?? 30),
      });
      return { ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } };
    },
  },
};
