import type { ReadModelQueries } from '../domain/projections/read-model.ts';
import type { DeliveryLog, MerchantEndpoints } from '../domain/webhooks.ts';
import type { QueryDeps } from '../shared/api.ts';
import { perContainer } from './container.ts';
import { ledgerPorts } from './ledger.ts';
import { deliveryLog, merchantEndpoints } from './merchants.ts';
import { readModels } from './read-models.ts';

/** Routes that read a read model (and, for `?asOf=`, the event store). */
export interface ReadApiDeps extends QueryDeps {
  readonly readModels: ReadModelQueries;
}

/** GET /merchants/{id}/webhook-endpoints. */
export interface EndpointsReadDeps extends QueryDeps {
  readonly endpoints: MerchantEndpoints;
}

/** GET /merchants/{id}/deliveries. */
export interface DeliveriesReadDeps extends QueryDeps {
  readonly deliveries: DeliveryLog;
}

/** The read API's composition root: each route function builds only what it is granted. */
export const eventsApi = perContainer((): QueryDeps => ({ ports: ledgerPorts() }));
export const readApi = perContainer((): ReadApiDeps => ({ ports: ledgerPorts(), readModels: readModels() }));
export const endpointsReadApi = perContainer(
  (): EndpointsReadDeps => ({ ports: ledgerPorts(), endpoints: merchantEndpoints() }),
);
export const deliveriesReadApi = perContainer(
  (): DeliveriesReadDeps => ({ ports: ledgerPorts(), deliveries: deliveryLog() }),
);
