import { getMerchantAccount } from '../../application/disputes.ts';
import { queryRoute } from '../../shared/api.ts';
import { merchantEndpoints } from '../../shared/merchant-endpoints.ts';
import { presentEndpoint } from './present-webhooks.ts';

/** GET /merchants/{id}/webhook-endpoints: the merchant's endpoint (one at most), without its secret. */
export const { main, handler } = queryRoute({
  run: async (ports, { tenantId, pathParameters }) => {
    const merchantAccountId = pathParameters.id ?? '';
    await getMerchantAccount(ports, tenantId, merchantAccountId);
    const endpoint = await merchantEndpoints().get(tenantId, merchantAccountId);
    return endpoint ? [endpoint] : [];
  },
  present: (endpoints) => ({ data: endpoints.map(presentEndpoint), nextCursor: null }),
});
