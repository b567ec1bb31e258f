import type { Context } from 'aws-lambda';
import { type IdempotencyStore, idempotentPerStore } from './idempotency.ts';

/**
 * Worker idempotency records outlive any way a message can come back: SQS keeps a dead letter 14
 * days and an operator may redrive it on the last day, so a duplicate must still be recognised then.
 */
export const WORKER_IDEMPOTENCY_TTL_SECONDS = 15 * 24 * 3600;

/**
 * Wraps `apply` with Powertools idempotency keyed on a business id inside its input (`keyPath`, a
 * JMESPath), never on the SQS message id; one persistence layer per store. Call `register` on every
 * invocation so an in-progress lock expires with it.
 */
export function idempotentRecord<I, D, R>(
  keyPath: string,
  apply: (input: I, deps: D) => Promise<R>,
  options: { readonly expiresAfterSeconds?: number } = {},
): (store: IdempotencyStore) => {
  run: (input: I, deps: D) => Promise<R>;
  register: (context: Context) => void;
} {
  return idempotentPerStore(
    {
      eventKeyJmesPath: keyPath,
      expiresAfterSeconds: options.expiresAfterSeconds ?? WORKER_IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
    },
    apply,
  );
}
