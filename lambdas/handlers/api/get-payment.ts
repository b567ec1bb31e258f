import { getPaymentView } from '../../application/queries.ts';
import { readApi } from '../../composition/read-api.ts';
import { queryRoute } from '../../shared/api.ts';
import { presentPayment } from './present-payment.ts';

/** GET /payments/{id}: the payment view. */
export const { main, handler } = queryRoute(readApi, {
  run: ({ readModels }, { tenantId, pathParameters }) =>
    getPaymentView(readModels, tenantId, pathParameters.id ?? ''),
  present: presentPayment,
});
