import { getAccountAsOf, getAccountView } from '../../application/queries.ts';
import { readApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { presentAccount } from './present.ts';
import { getAccountQuery } from './schemas.ts';

/** GET /accounts/{id}: the account view; with `?asOf=` (version or instant), replayed from the event store. */
export const { main, handler } = queryRoute(readApi, {
  run: ({ ports, readModels }, { tenantId, pathParameters, query }) => {
    const { asOf } = parseQuery(getAccountQuery, query);
    const id = pathParameters.id ?? '';
    return asOf
      ? getAccountAsOf(ports, tenantId, id, asOf)
      : getAccountView(readModels, tenantId, id, ports.shards);
  },
  present: presentAccount,
});
