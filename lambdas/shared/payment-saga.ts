import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** Starts the settlement saga of a payment. */
export type SettlementStarter = (tenantId: string, paymentId: string) => Promise<void>;

/**
 * Starts the settlement saga for a payment: execution name = payment id, input = ids only.
 * `ExecutionAlreadyExists` means it was already started (a retried request): not an error.
 */
export function settlementStarter(client: SFNClient, stateMachineArn: string): SettlementStarter {
  return async (tenantId, paymentId) => {
    try {
      await client.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: paymentId,
          input: JSON.stringify({ tenantId, paymentId }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists')
        return;
      throw error;
    }
  };
}
