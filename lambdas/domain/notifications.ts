/** What merchants are told about, at the webhook endpoint they registered. */
export type MerchantNotificationType =
  | 'payment.settled'
  | 'payment.failed'
  | 'payment.refunded'
  | 'dispute.opened'
  | 'dispute.won'
  | 'dispute.lost';

/**
 * One notification to one merchant. `notificationId` is the business id the producer sets
 * (e.g. `<paymentId>.settled`): the delivery worker is idempotent on it, so a message sent twice
 * is delivered once.
 */
export interface MerchantNotification {
  readonly notificationId: string;
  readonly tenantId: string;
  readonly merchantAccountId: string;
  readonly type: MerchantNotificationType;
  readonly occurredAt: string;
  /** Ids and amounts only: never card data or secrets. */
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
}

/** Hands a notification to the outbound delivery pipeline (at least once). */
export interface MerchantNotifier {
  enqueue(notification: MerchantNotification): Promise<void>;
}
