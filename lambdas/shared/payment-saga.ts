import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { paymentsApiConfig } from './config.ts';

let client: SFNClient | undefined;

/**
 * Starts the settlement saga for a payment: execution name = payment id, input = ids only.
 * `ExecutionAlreadyExists` means it was already started (a retried request): not an error.
 */
export async function startSettlement(tenantId: string, paymentId: string): Promise<void> {
  client ??= new SFNClient({});
  try {
    await client.send(
      new StartExecutionCommand({
        stateMachineArn: paymentsApiConfig().stateMachineArn,
        name: paymentId,
        input: JSON.stringify({ tenantId, paymentId }),
      }),
    );
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return;
    throw error;
  }
}
