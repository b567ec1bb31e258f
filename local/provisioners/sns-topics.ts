import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { LOCAL_CREDENTIALS } from '../dynamodb.ts';
import { arns } from '../naming.ts';
import type { Provisioner } from './provisioner.ts';
import { property, resourceName } from './provisioner.ts';

/** An SNS client of the emulator (fauxqs serves SNS on the SQS endpoint). */
export function localSnsClient(endpoint: string, region: string): SNSClient {
  return new SNSClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/**
 * `AWS::SNS::Topic` (on the SQS emulator, which serves SNS too; `KmsMasterKeyId` is accepted and
 * ignored, as the emulator keeps nothing encrypted), its policy (no IAM locally) and its subscriptions
 * (an SQS queue of the stack is subscribed; an email address cannot be, and is only noted).
 */
export const snsTopicProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::SNS::Topic': {
    properties: {
      allowed: [
        'TopicName',
        'DisplayName',
        'KmsMasterKeyId',
        'Tags',
        'FifoTopic',
        'ContentBasedDeduplication',
        'Subscription',
        'SignatureVersion',
        'TracingConfig',
        'ArchivePolicy',
        'DataProtectionPolicy',
        'DeliveryStatusLogging',
        'FifoThroughputScope',
      ],
    },
    async provision(r, ctx) {
      const name = resourceName(ctx, r, 'TopicName', 256);
      const client = localSnsClient(ctx.services.sqs.endpoint, ctx.region);
      try {
        const { TopicArn } = await client.send(new CreateTopicCommand({ Name: name }));
        const arn = TopicArn ?? arns.topic(ctx.region, name);
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      } finally {
        client.destroy();
      }
    },
  },
  'AWS::SNS::TopicPolicy': { skipped: 'no IAM locally', provision: () => ({ ref: '', attributes: {} }) },
  'AWS::SNS::Subscription': {
    properties: {
      allowed: [
        'TopicArn',
        'Protocol',
        'Endpoint',
        'Region',
        'RawMessageDelivery',
        'FilterPolicy',
        'FilterPolicyScope',
        'RedrivePolicy',
        'DeliveryPolicy',
        'SubscriptionRoleArn',
        'ReplayPolicy',
      ],
    },
    async provision(r, ctx) {
      const topicArn = property<string>(ctx, r, 'TopicArn') ?? '';
      const protocol = property<string>(ctx, r, 'Protocol') ?? '';
      const endpoint = property<string>(ctx, r, 'Endpoint') ?? '';
      if (protocol !== 'sqs') {
        ctx.log(`note: ${r.logicalId}: ${protocol} subscriptions are not delivered locally (${endpoint})`);
        return { ref: `${topicArn}:${r.logicalId}`, attributes: {} };
      }
      const client = localSnsClient(ctx.services.sqs.endpoint, ctx.region);
      try {
        const { SubscriptionArn } = await client.send(
          new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint }),
        );
        return { ref: SubscriptionArn ?? `${topicArn}:${r.logicalId}`, attributes: {} };
      } finally {
        client.destroy();
      }
    },
  },
};
