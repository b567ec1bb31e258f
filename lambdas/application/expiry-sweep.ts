/**
 * The expiry sweep: expires every pending transfer whose time has come, so a reservation releases its
 * funds within a minute of its timeout even when nobody posts or voids it. Run on a schedule.
 */
import { TransferAlreadyResolvedError, TransferNotFoundError } from '../domain/errors.ts';
import { type DueTransfer, type DueTransfers, EXPIRY_SHARDS } from '../domain/expiry.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { expireTransfer } from './commands.ts';
import { type ConflictRetryOptions, retryOnConflict, withCache } from './retry.ts';

/** Who the sweep acts as on the events it writes. */
export const EXPIRY_SWEEP_ACTOR = 'expiry-sweep';

export interface ExpirySweepDeps {
  readonly ports: LedgerPorts;
  /** The index of pending transfers by expiry. */
  readonly due: DueTransfers;
  /** Conflict retries of each expiry (a rival sweep, or a post or void racing it). */
  readonly retry: ConflictRetryOptions;
  /** Rows per index page. @default 100 */
  readonly pageSize?: number;
  /** Asked before each page: false stops the sweep there (the function is about to time out). @default always */
  readonly hasTime?: () => boolean;
}

/** What one sweep did. */
export interface SweepReport {
  /** Transfers this sweep expired. */
  readonly expired: number;
  /** Listed but already resolved (posted, voided, or expired by a rival sweep), or not found: nothing to do. */
  readonly skipped: number;
  /** Expiries that failed (retried by the next sweep, since the row stays in the index). */
  readonly failures: readonly (DueTransfer & { readonly error: string })[];
  /** Index pages read. */
  readonly pages: number;
  /** False when it stopped for time with pages left: the next sweep goes on from the oldest. */
  readonly complete: boolean;
}

/**
 * Expires, through the ledger's own command, every transfer the index lists as due at the sweep's start,
 * shard by shard (the shards side by side), page by page, oldest expiry first. Each expiry is its own
 * command in its transfer's tenant, retried on conflict; the transfer stream's expected version makes it
 * exactly once, so overlapping sweeps (or a post or void racing one) are safe: the loser reloads, finds
 * the transfer resolved and skips it. A missed run leaves rows in the index, which the next run expires.
 * One transfer that fails does not stop the others.
 */
export async function sweepExpiredTransfers(deps: ExpirySweepDeps, runId: string): Promise<SweepReport> {
  const dueBy = deps.ports.clock.now();
  const pageSize = deps.pageSize ?? 100;
  const hasTime = deps.hasTime ?? (() => true);
  let expired = 0;
  let skipped = 0;
  let pages = 0;
  let complete = true;
  const failures: (DueTransfer & { readonly error: string })[] = [];

  const expireOne = async (due: DueTransfer) => {
    const ctx = {
      tenantId: due.tenantId,
      correlationId: due.transferId,
      causationId: runId,
      actor: EXPIRY_SWEEP_ACTOR,
    };
    try {
      await retryOnConflict(
        (loadCache) => expireTransfer(withCache(deps, loadCache).ports, ctx, { transferId: due.transferId }),
        deps.retry,
      );
      expired++;
    } catch (error) {
      if (error instanceof TransferAlreadyResolvedError || error instanceof TransferNotFoundError) skipped++;
      else failures.push({ ...due, error: error instanceof Error ? error.message : String(error) });
    }
  };

  const sweepShard = async (shard: number) => {
    let cursor: string | null = null;
    do {
      if (!hasTime()) {
        complete = false;
        return;
      }
      const page = await deps.due.page(shard, dueBy, cursor, pageSize);
      pages++;
      for (const due of page.transfers) await expireOne(due);
      cursor = page.cursor;
    } while (cursor !== null);
  };

  await Promise.all(Array.from({ length: EXPIRY_SHARDS }, (_, shard) => sweepShard(shard)));
  return { expired, skipped, failures, pages, complete };
}
