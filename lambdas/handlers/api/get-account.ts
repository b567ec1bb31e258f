import { getAccountAsOf, getAccountView } from '../../application/queries.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { readModelsAdapter } from '../../shared/read-models.ts';
import { presentAccount } from './present.ts';
import { getAccountQuery } from './schemas.ts';

/** GET /accounts/{id}: the account view; with `?asOf=` (version or instant), replayed from the event store. */
export const { main, handler } = queryRoute({
  run: (ports, { tenantId, pathParameters, query }) => {
    const { asOf } = parseQuery(getAccountQuery, query);
    const id = pathParameters.id ?? '';
    return asOf
      ? getAccountAsOf(ports, tenantId, id, asOf)
      : getAccountView(readModelsAdapter(), tenantId, id);
  },
  present: presentAccount,
});
