import { getPaymentView } from '../../application/queries.ts';
import { queryRoute } from '../../shared/api.ts';
import { readModelsAdapter } from '../../shared/read-models.ts';
import { presentPayment } from './present-payment.ts';

/** GET /payments/{id}: the payment view. */
export const { main, handler } = queryRoute({
  run: (_ports, { tenantId, pathParameters }) =>
    getPaymentView(readModelsAdapter(), tenantId, pathParameters.id ?? ''),
  present: presentPayment,
});
