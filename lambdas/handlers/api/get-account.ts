import { getAccount } from '../../domain/commands.ts';
import { queryRoute } from '../../shared/api.ts';
import { presentAccount } from './present.ts';

/** GET /accounts/{id} */
export const { main, handler } = queryRoute({
  run: (ports, { tenantId, pathParameters }) => getAccount(ports, tenantId, pathParameters.id ?? ''),
  present: presentAccount,
});
