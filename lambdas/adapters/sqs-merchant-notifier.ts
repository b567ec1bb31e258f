import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MerchantNotification, MerchantNotifier } from '../domain/notifications.ts';

/** The message attribute that carries the correlation id of what caused a message. */
export const CORRELATION_ATTRIBUTE = 'correlationId';

/** What a message was caused by: travels as message attributes, never in the body. */
export interface MessageOrigin {
  readonly correlationId?: string | undefined;
}

/** A notifier that also carries the correlation id of what caused the notification. */
export interface CorrelatedNotifier extends MerchantNotifier {
  enqueue(notification: MerchantNotification, origin?: MessageOrigin): Promise<void>;
}

/** The correlation id as an SQS message attribute (none when there is none). */
export function correlationAttributes(origin: MessageOrigin = {}): Record<string, MessageAttributeValue> {
  return origin.correlationId
    ? { [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: origin.correlationId } }
    : {};
}

/** Sends notifications to the delivery queue; the business id and the correlation id travel as message attributes. */
export class SqsMerchantNotifier implements CorrelatedNotifier {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(notification: MerchantNotification, origin?: MessageOrigin): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify(notification),
        MessageAttributes: {
          notificationId: { DataType: 'String', StringValue: notification.notificationId },
          type: { DataType: 'String', StringValue: notification.type },
          ...correlationAttributes(origin),
        },
      }),
    );
  }
}
