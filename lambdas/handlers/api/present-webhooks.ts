import type { DeliveryAttempt, WebhookEndpoint } from '../../domain/webhooks.ts';

/** A webhook endpoint as the API shows it: never its secret, only the secret's last four characters. */
export function presentEndpoint(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.endpointId,
    merchantAccountId: endpoint.merchantAccountId,
    url: endpoint.url,
    createdAt: endpoint.createdAt,
    secretHint: endpoint.secretHint,
  };
}

/** One delivery attempt. */
export function presentDelivery(attempt: DeliveryAttempt) {
  return {
    notificationId: attempt.notificationId,
    type: attempt.type,
    attempt: attempt.attempt,
    outcome: attempt.outcome,
    statusCode: attempt.statusCode,
    error: attempt.error,
    durationMs: attempt.durationMs,
    at: attempt.at,
    url: attempt.url,
  };
}
