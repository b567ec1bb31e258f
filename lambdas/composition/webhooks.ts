import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbWebhookInbox } from '../adapters/dynamodb-webhooks.ts';
import { CachedSecret, signingSecrets } from '../adapters/secrets-manager-secret.ts';
import { correlationAttributes } from '../adapters/sqs-merchant-notifier.ts';
import type { WebhookInbox } from '../domain/webhooks.ts';
import { processorWebhooksConfig } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { dynamoDbClient, perContainer, secretsManagerClient, sqsClient } from './container.ts';

/** What the receiver needs; tests pass their own. */
export interface ReceiverPorts {
  readonly secrets: () => Promise<readonly string[]>;
  readonly inbox: WebhookInbox;
  /** Queues a verified event for the worker, with the receiving request's correlation id as an attribute. */
  readonly enqueue: (body: string, correlationId?: string) => Promise<void>;
  readonly now: () => Date;
}
/** The processor webhook receiver's composition root. */
export const processorWebhookReceiver = perContainer((): ReceiverPorts => {
  const config = processorWebhooksConfig();
  const { queueUrl, signingSecretArn } = config;
  if (!queueUrl || !signingSecretArn) {
    throw new Error(
      `${ENV.processorEventsQueueUrl} and ${ENV.processorWebhookSecretArn} must be set on the receiver`,
    );
  }
  const secret = new CachedSecret({ client: secretsManagerClient(), secretId: signingSecretArn });
  return {
    secrets: async () => signingSecrets(await secret.value()),
    inbox: new DynamoDbWebhookInbox({ client: dynamoDbClient(), tableName: config.inboxTableName }),
    enqueue: async (body, correlationId) => {
      await sqsClient().send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: correlationAttributes({ correlationId }),
        }),
      );
    },
    now: () => new Date(),
  };
});
