import { createHash } from 'node:crypto';

/** Ids derived from a request's identity (tenant and Idempotency-Key), never minted per attempt. */

function digest(...parts: readonly string[]): string {
  // Length-prefixed parts: ("ab","c") and ("a","bc") never collide.
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash
    .digest('base64url')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 26);
}

/**
 * A payment's id from the tenant and the request's Idempotency-Key: a retry after a crash between the
 * append and StartExecution finds the same payment and starts the same execution (its name). The tenant
 * is in the hash because execution names are unique per state machine, across tenants.
 */
export function paymentIdFor(tenantId: string, idempotencyKey: string): string {
  return `pay_${digest('payment', tenantId, idempotencyKey)}`;
}

/** A refund's id from the tenant, the payment and the request's Idempotency-Key. */
export function refundIdFor(tenantId: string, paymentId: string, idempotencyKey: string): string {
  return `rf_${digest('refund', tenantId, paymentId, idempotencyKey)}`;
}

/**
 * A transfer's id from (tenant, route, Idempotency-Key): a retried transfer, deposit or withdrawal after
 * a crash between the ledger commit and the idempotency record books the same transfer, not a second one.
 */
export function transferIdFor(tenantId: string, route: string, idempotencyKey: string): string {
  return `tr_${digest('transfer', tenantId, route, idempotencyKey)}`;
}

/**
 * An export job's id from the tenant and the request's Idempotency-Key: a retried POST /exports finds the
 * same job. The digest is the one of `transferIdFor(tenant, 'POST /exports', key)`, so jobs keep their ids.
 */
export function exportIdFor(tenantId: string, idempotencyKey: string): string {
  return `exp_${digest('transfer', tenantId, 'POST /exports', idempotencyKey)}`;
}
