/**
 * Pending transfers that expire by themselves: where the sweep finds them (a port onto a sparse index of
 * the transfer view), and how that index spreads them over a few fixed partitions.
 */
import { shardOf } from './shards.ts';

/**
 * Partitions of the expiry index. A pending transfer lands on `shardOf(transferId, EXPIRY_SHARDS)`, so
 * creating and resolving reservations spreads over this many index partitions (each takes 1,000 writes a
 * second). The sweep reads every one of them. Raise it only: a lower number would strand the rows of the
 * partitions it drops until a rebuild of the transfer view rewrites them.
 */
export const EXPIRY_SHARDS = 8;

/** The index partition of a pending transfer: `expiry#<k>`. */
export function expiryPartition(transferId: string): string {
  return expiryShardKey(shardOf(transferId, EXPIRY_SHARDS));
}

/** The index partition key of shard `k`. */
export function expiryShardKey(shard: number): string {
  return `expiry#${shard}`;
}

/** A pending transfer the index says is due: its tenant, id and expiry instant (ISO 8601, UTC). */
export interface DueTransfer {
  readonly tenantId: string;
  readonly transferId: string;
  readonly expiresAt: string;
}

/** One page of due transfers of one shard, oldest expiry first; `cursor` resumes after it (null: no more). */
export interface DuePage {
  readonly transfers: readonly DueTransfer[];
  readonly cursor: string | null;
}

/**
 * The pending transfers with an expiry, by shard and expiry instant. Eventually consistent: a row may
 * still be listed after its transfer was posted, voided or expired, and a new one may show up late.
 */
export interface DueTransfers {
  /** Transfers of `shard` whose expiry is at or before `dueBy`, after `cursor`, at most `limit`. */
  page(shard: number, dueBy: Date, cursor: string | null, limit: number): Promise<DuePage>;
}
