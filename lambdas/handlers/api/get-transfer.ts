import { getTransferView } from '../../application/queries.ts';
import { readApi } from '../../composition/read-api.ts';
import { queryRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';

/** GET /transfers/{id}: the transfer view. */
export const { main, handler } = queryRoute(readApi, {
  run: ({ readModels }, { tenantId, pathParameters }) =>
    getTransferView(readModels, tenantId, pathParameters.id ?? ''),
  present: presentTransfer,
});
