import { getTransferView } from '../../application/queries.ts';
import { queryRoute } from '../../shared/api.ts';
import { readModelsAdapter } from '../../shared/read-models.ts';
import { presentTransfer } from './present.ts';

/** GET /transfers/{id}: the transfer view. */
export const { main, handler } = queryRoute({
  run: (_ports, { tenantId, pathParameters }) =>
    getTransferView(readModelsAdapter(), tenantId, pathParameters.id ?? ''),
  present: presentTransfer,
});
