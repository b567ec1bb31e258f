import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MerchantNotification, MerchantNotifier } from '../domain/notifications.ts';

/** Sends notifications to the delivery queue; the business id travels as a message attribute too. */
export class SqsMerchantNotifier implements MerchantNotifier {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(notification: MerchantNotification): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify(notification),
        MessageAttributes: {
          notificationId: { DataType: 'String', StringValue: notification.notificationId },
          type: { DataType: 'String', StringValue: notification.type },
        },
      }),
    );
  }
}
