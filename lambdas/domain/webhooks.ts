/** Ports of the webhook side: the inbound audit inbox, merchants' endpoints and the delivery log. */

/** One signed processor delivery as received (the raw body is kept byte for byte for audit). */
export interface InboxReceipt {
  readonly eventId: string;
  readonly tenantId: string;
  readonly type: string;
  readonly rawBody: string;
  readonly signatureTimestamp: number;
  readonly receivedAt: string;
}

/** What the worker concluded about an event: applied, or permanently rejected (with why), or ignored. */
export type InboxOutcome =
  | { readonly outcome: 'applied'; readonly at: string }
  | { readonly outcome: 'ignored'; readonly at: string; readonly reason: string }
  | { readonly outcome: 'rejected'; readonly at: string; readonly code: string; readonly detail: string };

/** Raw processor events, by the processor's event id; a duplicate delivery only counts up. */
export interface WebhookInbox {
  /** Stores the first receipt of an event id; later ones only bump `deliveries` and `lastReceivedAt`. */
  receive(receipt: InboxReceipt): Promise<{ readonly duplicate: boolean }>;
  record(eventId: string, outcome: InboxOutcome): Promise<void>;
}

/** A merchant's registered webhook endpoint. The signing secret never leaves the adapter in the clear except to sign. */
export interface WebhookEndpoint {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly merchantAccountId: string;
  readonly url: string;
  readonly createdAt: string;
  /** The last four characters of the secret, so a merchant can tell which one is active. */
  readonly secretHint: string;
}

export interface MerchantEndpoints {
  /** Registers (or replaces) the merchant's endpoint with a new signing secret. */
  register(endpoint: WebhookEndpoint, signingSecret: string): Promise<void>;
  get(tenantId: string, merchantAccountId: string): Promise<WebhookEndpoint | null>;
  /** The endpoint with its signing secret, for the delivery worker only. */
  getForDelivery(
    tenantId: string,
    merchantAccountId: string,
  ): Promise<(WebhookEndpoint & { readonly signingSecret: string }) | null>;
}

/** One delivery attempt of one notification. */
export interface DeliveryAttempt {
  readonly tenantId: string;
  readonly merchantAccountId: string;
  readonly notificationId: string;
  readonly type: string;
  /** The message's receive count: 1 for the first attempt. */
  readonly attempt: number;
  readonly outcome: 'delivered' | 'failed' | 'skipped';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly at: string;
  readonly url: string | null;
}

export interface DeliveryLog {
  record(attempt: DeliveryAttempt): Promise<void>;
  /** Newest first, keyset-paged. */
  list(
    tenantId: string,
    merchantAccountId: string,
    after: string | null,
    limit: number,
  ): Promise<{ readonly attempts: readonly DeliveryAttempt[]; readonly next: string | null }>;
}
