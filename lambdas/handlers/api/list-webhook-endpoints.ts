import { getMerchantAccount } from '../../application/disputes.ts';
import { endpointsReadApi } from '../../composition/read-api.ts';
import { queryRoute } from '../../shared/api.ts';
import { presentEndpoint } from './present-webhooks.ts';

/** GET /merchants/{id}/webhook-endpoints: the merchant's endpoint (one at most), without its secret. */
export const { main, handler } = queryRoute(endpointsReadApi, {
  run: async ({ ports, endpoints }, { tenantId, pathParameters }) => {
    const merchantAccountId = pathParameters.id ?? '';
    await getMerchantAccount(ports, tenantId, merchantAccountId);
    const endpoint = await endpoints.get(tenantId, merchantAccountId);
    return endpoint ? [endpoint] : [];
  },
  present: (endpoints) => ({ data: endpoints.map(presentEndpoint), nextCursor: null }),
});
