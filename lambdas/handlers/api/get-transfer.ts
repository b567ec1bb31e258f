import { getTransfer } from '../../domain/commands.ts';
import { queryRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';

/** GET /transfers/{id} */
export const { main, handler } = queryRoute({
  run: (ports, { tenantId, pathParameters }) => getTransfer(ports, tenantId, pathParameters.id ?? ''),
  present: presentTransfer,
});
