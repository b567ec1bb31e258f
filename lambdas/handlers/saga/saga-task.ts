import type { Context } from 'aws-lambda';
import { retryOnConflict, withCache } from '../../application/retry.ts';
import type { CommandContext } from '../../application/unit-of-work.ts';
import { conflictRetry, MAX_COMMAND_ATTEMPTS } from '../../composition/ledger.ts';
import type { SagaDeps } from '../../composition/saga.ts';
import type { PaymentState } from '../../domain/payments/payment.ts';
import { logger } from '../../shared/api.ts';
import { type CaughtError, forStateMachine } from './saga-error.ts';

/**
 * Every payment writes the tenant's clearing account (and a merchant's account takes many payments),
 * so a task meets more conflicts than an API command; nobody waits on it, so it tries harder before
 * leaving the conflict to the state machine's own retry.
 */
export const SAGA_CONFLICT_ATTEMPTS = 4 * MAX_COMMAND_ATTEMPTS;
const SAGA_CONFLICT_RETRY = conflictRetry(SAGA_CONFLICT_ATTEMPTS);

/** What every saga task receives: ids only (plus the caught error on the compensation path). */
export interface SagaInput {
  readonly tenantId: string;
  readonly paymentId: string;
  /** The id of the request that made the payment (its events, logs and notification carry it too). */
  readonly correlationId?: string;
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
  readonly handler: (event: SagaInput, context?: Context) => Promise<SagaOutput>;
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
      // An execution started before correlation ids rode in the input correlates by its payment.
      correlationId: event.correlationId ?? event.paymentId,
      causationId: `saga:${step}`,
      actor: 'saga:payment-settlement',
    };
    try {
      const payment = await retryOnConflict(
        (cache) => run(withCache(deps, cache), ctx, event),
        SAGA_CONFLICT_RETRY,
      );
      logger.info('Saga step done', { step, paymentId: payment.id, status: payment.status });
      return { paymentId: payment.id, status: payment.status };
    } catch (error) {
      const thrown = forStateMachine(error);
      logger.warn('Saga step failed', { step, paymentId: event.paymentId, error });
      throw thrown;
    }
  };
  const handler = async (event: SagaInput, context?: Context): Promise<SagaOutput> => {
    if (context) logger.addContext(context);
    // Every line this invocation logs carries the payment's correlation id, and no later one keeps it.
    logger.appendKeys({ correlationId: event?.correlationId ?? event?.paymentId, step });
    try {
      return await main(event, compose());
    } finally {
      logger.resetKeys();
    }
  };
  return { main, handler };
}
