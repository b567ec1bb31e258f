import type { Context } from 'aws-lambda';
import { type IdempotencyStore, idempotentPerStore } from './idempotency.ts';

/**
 * Worker idempotency records outlive any way a message can come back: SQS keeps a dead letter 14
 * days and an operator may redrive it on the last day, so a duplicate must still be recognised then.
 */
export const WORKER_IDEMPOTENCY_TTL_SECONDS = 15 * 24 * 3600;

/**
 * Where a worker's idempotency key lives in its input (JMESPath expressions): the tenant and a
 * business id set by the producer, never the SQS message id. Business ids are unique per tenant only
 * (a processor event id, a notification id), so the tenant is always part of the key.
 */
export interface WorkerKeyPaths {
  readonly tenant: string;
  readonly id: string;
}

/** The JMESPath of a worker's idempotency key: `[tenant, id]`. */
export const workerKeyPath = (paths: WorkerKeyPaths): string => `[${paths.tenant}, ${paths.id}]`;

/**
 * Wraps `apply` with Powertools idempotency keyed on (tenant, business id) inside its input, never
 * on the SQS message id; one persistence layer per store. Call `register` on every invocation so an
 * in-progress lock expires with it.
 */
export function idempotentRecord<I, D, R>(
  keyPaths: WorkerKeyPaths,
  apply: (input: I, deps: D) => Promise<R>,
  options: { readonly expiresAfterSeconds?: number } = {},
): (store: IdempotencyStore) => {
  run: (input: I, deps: D) => Promise<R>;
  register: (context: Context) => void;
} {
  return idempotentPerStore(
    {
      eventKeyJmesPath: workerKeyPath(keyPaths),
      expiresAfterSeconds: options.expiresAfterSeconds ?? WORKER_IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
    },
    apply,
  );
}
