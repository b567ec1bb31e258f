import type { PaymentProcessor } from '../domain/payments/processor.ts';
import type { PaymentVelocity, RiskLimits } from '../domain/payments/risk.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { perContainer } from './container.ts';
import { ledgerPorts } from './ledger.ts';
import { paymentProcessor, paymentVelocity, riskLimits } from './payments.ts';

export { paymentProcessor, paymentVelocity, riskLimits };

/** What every saga task gets: the ledger's ports. */
export interface SagaDeps {
  readonly ports: LedgerPorts;
}

/** The capture and refund tasks also call the processor. */
export interface ProcessorTaskDeps extends SagaDeps {
  readonly processor: PaymentProcessor;
}

/** The risk task also reads the payer's velocity and the tenant's limits. */
export interface RiskTaskDeps extends SagaDeps {
  readonly velocity: PaymentVelocity;
  readonly limits: (tenantId: string) => RiskLimits;
}

/** The saga tasks' composition root: each task function builds only what it is granted. */
export const sagaDeps = perContainer((): SagaDeps => ({ ports: ledgerPorts() }));
export const processorTaskDeps = perContainer(
  (): ProcessorTaskDeps => ({ ...sagaDeps(), processor: paymentProcessor() }),
);
export const riskTaskDeps = perContainer(
  (): RiskTaskDeps => ({ ...sagaDeps(), velocity: paymentVelocity(), limits: riskLimits }),
);
