import { retryOnConflict, withCache } from '../../application/retry.ts';
import type { CommandContext } from '../../application/unit-of-work.ts';
import { conflictBackoff, MAX_COMMAND_ATTEMPTS, newLoadCache } from '../../composition/ledger.ts';
import type { SagaDeps } from '../../composition/saga.ts';
import type { PaymentState } from '../../domain/payments/payment.ts';
import { type CaughtError, forStateMachine } from './saga-error.ts';

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
  readonly error?: CaughtError;
}

/** What a task returns: ids and the status reached (the ASL discards it: ResultPath null). */
export interface SagaOutput {
  readonly paymentId: string;
  readonly status: PaymentState['status'];
}

/** A saga task: the plain function for tests, and the Lambda handler wired to the composition root. */
export interface SagaTask<D extends SagaDeps> {
  readonly main: (event: SagaInput, deps: D) => Promise<SagaOutput>;
  readonly handler: (event: SagaInput) => Promise<SagaOutput>;
}

/**
 * A saga task: validates the ids, runs one payment command with bounded conflict retries, and
 * returns ids. A business rejection is rethrown as BusinessRejectionError; every other error keeps
 * its class name as the Lambda `errorType`, which is the `Error` the state machine's Retry and Catch
 * match on (see saga-error.ts). `compose` is the task's composition root (built once per container).
 */
export function sagaTask<D extends SagaDeps>(
  step: string,
  compose: () => D,
  run: (deps: D, ctx: CommandContext, input: SagaInput) => Promise<PaymentState>,
): SagaTask<D> {
  const main = async (event: SagaInput, deps: D): Promise<SagaOutput> => {
    if (typeof event?.tenantId !== 'string' || typeof event.paymentId !== 'string') {
      throw new TypeError(`${step}: the input must carry tenantId and paymentId`);
    }
    const ctx: CommandContext = {
      tenantId: event.tenantId,
      correlationId: event.paymentId,
      causationId: `saga:${step}`,
      actor: 'saga:payment-settlement',
    };
    try {
      const payment = await retryOnConflict((cache) => run(withCache(deps, cache), ctx, event), {
        maxAttempts: SAGA_CONFLICT_ATTEMPTS,
        wait: conflictBackoff,
        loadCache: newLoadCache,
      });
      return { paymentId: payment.id, status: payment.status };
    } catch (error) {
      throw forStateMachine(error);
    }
  };
  return { main, handler: (event) => main(event, compose()) };
}
