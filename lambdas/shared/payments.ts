// The saga-task block below moves to lambdas/handlers/saga/saga-task.ts (issue 9); until then it is
// the one place in shared that reaches the composition root.
import { conflictBackoff, ledgerPorts, MAX_COMMAND_ATTEMPTS } from '../composition/ledger.ts';
import type { CommandContext } from '../domain/commands.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { retryOnConflict } from '../domain/retry.ts';

/**
 * Every payment writes the tenant's clearing account (and a merchant's account takes many payments),
 * so a task meets more conflicts than an API command; nobody waits on it, so it tries harder before
 * leaving the conflict to the state machine's own retry.
 */
export const SAGA_CONFLICT_ATTEMPTS = 4 * MAX_COMMAND_ATTEMPTS;

/** What every saga task receives: ids only (plus the caught error on the compensation path). */
export interface SagaInput {
  readonly tenantId: string;
  readonly paymentId: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** What a task returns: ids and the status reached (the ASL discards it: ResultPath null). */
export interface SagaOutput {
  readonly paymentId: string;
  readonly status: PaymentState['status'];
}

/**
 * A saga task: validates the ids, runs one payment command with bounded conflict retries, and
 * returns ids. Errors propagate with their class name as the Lambda `errorType`, which is the
 * `Error` the state machine's Retry and Catch match on.
 */
export function sagaTask(
  step: string,
  run: (ports: LedgerPorts, ctx: CommandContext, input: SagaInput) => Promise<PaymentState>,
): (event: SagaInput) => Promise<SagaOutput> {
  return async (event) => {
    if (typeof event?.tenantId !== 'string' || typeof event.paymentId !== 'string') {
      throw new TypeError(`${step}: the input must carry tenantId and paymentId`);
    }
    const ctx: CommandContext = {
      tenantId: event.tenantId,
      correlationId: event.paymentId,
      causationId: `saga:${step}`,
      actor: 'saga:payment-settlement',
    };
    const payment = await retryOnConflict(() => run(ledgerPorts(), ctx, event), {
      maxAttempts: SAGA_CONFLICT_ATTEMPTS,
      wait: conflictBackoff,
    });
    return { paymentId: payment.id, status: payment.status };
  };
}
