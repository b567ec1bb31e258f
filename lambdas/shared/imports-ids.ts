import { transferIdFor } from './command-ids.ts';

/**
 * An import's id from the tenant and the request's Idempotency-Key (and, for a retry, the import it
 * retries): the same request creates the same import. Derived as transfer ids are, with its own route.
 */
export function importIdFor(tenantId: string, idempotencyKey: string, retryOf?: string): string {
  const route = retryOf === undefined ? 'POST /imports' : `POST /imports/${retryOf}/retry-rejected`;
  return `imp_${transferIdFor(tenantId, route, idempotencyKey).slice('tr_'.length)}`;
}
