import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** Starts the settlement saga of a payment; the correlation id rides in its input to every task. */
export type SettlementStarter = (
  tenantId: string,
  paymentId: string,
  correlationId?: string,
) => Promise<void>;

/**
 * Starts the settlement saga for a payment: execution name = payment id, input = ids only (and the
 * correlation id of the request that made the payment).
 * `ExecutionAlreadyExists` means it was already started (a retried request): not an error.
 */
export function settlementStarter(client: SFNClient, stateMachineArn: string): SettlementStarter {
  return async (tenantId, paymentId, correlationId) => {
    try {
      await client.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: paymentId,
          input: JSON.stringify({ tenantId, paymentId, ...(correlationId ? { correlationId } : {}) }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists')
        return;
      throw error;
    }
  };
}
