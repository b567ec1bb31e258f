import type { PaymentProcessor } from '../domain/payments/processor.ts';
import type { MerchantEndpoints } from '../domain/webhooks.ts';
import type { CommandDeps } from '../shared/api.ts';
import { merchantEndpointsConfig, paymentsApiConfig } from '../shared/config.ts';
import type { IdempotencyStore } from '../shared/idempotency.ts';
import { type SettlementStarter, settlementStarter } from '../shared/payment-saga.ts';
import { perContainer, sfnClient } from './container.ts';
import { COMMAND_CONFLICT_RETRY, idempotencyStore, ledgerPorts } from './ledger.ts';
import { merchantEndpoints } from './merchants.ts';
import { paymentProcessor } from './payments.ts';

/** The ledger API's write routes: ports, conflict retries, the idempotency table. */
export interface LedgerApiDeps extends CommandDeps {
  readonly idempotency: IdempotencyStore;
}

/** POST /payments also starts the saga and charges the tenant's fee. */
export interface PaymentsApiDeps extends LedgerApiDeps {
  readonly startSettlement: SettlementStarter;
  /** The tenant's fee on each payment, in basis points of the amount. */
  readonly feeBps: number;
}

/** POST /payments/{id}/refunds also calls the processor. */
export interface RefundsApiDeps extends LedgerApiDeps {
  readonly processor: PaymentProcessor;
}

/** POST /merchants/{id}/webhook-endpoints: the endpoints table; never replays (the answer holds a secret). */
export interface EndpointsApiDeps extends CommandDeps {
  readonly endpoints: MerchantEndpoints;
  readonly allowLoopbackHttp: boolean;
}

/** The ledger API's composition root: each route function builds only what it is granted. */
export const ledgerApi = perContainer(
  (): LedgerApiDeps => ({
    ports: ledgerPorts(),
    retry: COMMAND_CONFLICT_RETRY,
    idempotency: idempotencyStore(),
  }),
);

export const paymentsApi = perContainer((): PaymentsApiDeps => {
  const config = paymentsApiConfig();
  return {
    ...ledgerApi(),
    startSettlement: settlementStarter(sfnClient(), config.stateMachineArn),
    feeBps: config.feeBps,
  };
});

export const refundsApi = perContainer(
  (): RefundsApiDeps => ({ ...ledgerApi(), processor: paymentProcessor() }),
);

export const endpointsApi = perContainer(
  (): EndpointsApiDeps => ({
    ports: ledgerPorts(),
    retry: COMMAND_CONFLICT_RETRY,
    endpoints: merchantEndpoints(),
    allowLoopbackHttp: merchantEndpointsConfig().allowLoopbackHttp,
  }),
);
