import { randomBytes } from 'node:crypto';
import { getMerchantAccount } from '../../application/disputes.ts';
import { endpointsApi } from '../../composition/ledger-api.ts';
import type { WebhookEndpoint } from '../../domain/webhooks.ts';
import { commandRoute } from '../../shared/api.ts';
import { ApiError } from '../../shared/problems.ts';
import { webhookUrlProblem } from '../../shared/webhook-url.ts';
import { presentEndpoint } from './present-webhooks.ts';
import { registerWebhookEndpointBody } from './schemas.ts';

/**
 * POST /merchants/{id}/webhook-endpoints {url}: registers (or replaces) the merchant's endpoint and
 * answers its signing secret, this once. The response is never stored for replay (it would keep the
 * secret in the clear); registering again is safe and replaces the secret.
 */
export const { main, handler } = commandRoute(endpointsApi, {
  body: registerWebhookEndpointBody,
  replayResponses: false,
  run: async ({ ports, endpoints, allowLoopbackHttp }, { tenantId, pathParameters, body }) => {
    const merchantAccountId = pathParameters.id ?? '';
    await getMerchantAccount(ports, tenantId, merchantAccountId);
    const problem = webhookUrlProblem(body.url, allowLoopbackHttp);
    if (problem) throw new ApiError(400, 'invalid-webhook-url', `The webhook URL is refused: ${problem}.`);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const endpoint: WebhookEndpoint = {
      endpointId: ports.ids.next('we'),
      tenantId,
      merchantAccountId,
      url: body.url,
      createdAt: ports.clock.now().toISOString(),
      secretHint: secret.slice(-4),
    };
    await endpoints.register(endpoint, secret);
    return { endpoint, secret };
  },
  status: 201,
  present: ({ endpoint, secret }) => ({ ...presentEndpoint(endpoint), secret }),
});
