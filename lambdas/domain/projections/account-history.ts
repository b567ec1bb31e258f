import type { StoredEvent, StreamRef } from '../events.ts';
import { addMinor } from '../money.ts';
import { accountOfStream, isShardStream } from '../shards.ts';
import type { Posting, PostingPosition, Projection, RowKey } from './read-model.ts';

/** What the history keeps per account besides its rows: the posted totals, for `postedBalanceAfter`. */
export interface HistoryState {
  readonly debitsPosted: number;
  readonly creditsPosted: number;
  /** The stream is one of several of its account (a shard, or a hot account's main stream). */
  readonly sharded?: boolean;
}

/** Partition of an account's history rows: `<tenantId>#<accountId>`. */
export function historyPartition(tenantId: string, accountId: string): string {
  return `${tenantId}#${accountId}`;
}

/** Sort key of a history row: `<postedAt>#<transferId>`, so rows page in keyset order. */
export function historySortKey(position: PostingPosition): string {
  return `${position.postedAt}#${position.transferId}`;
}

/**
 * GSI `by-tenant-time` of the history tables: the tenant's whole ledger in (postedAt, transferId, accountId)
 * order, for ledger exports. Its partition is `<tenantId>#<shard>`, the shard a hash of the transfer id (both
 * legs of a transfer share it), so a busy tenant's index writes spread over LEDGER_SHARDS partitions; a
 * reader merges the shards by sort key.
 */
export const HISTORY_INDEXES = {
  byTenantTime: { name: 'by-tenant-time', partitionKey: 'ledgerPk', sortKey: 'ledgerSk' },
} as const;

/** Index partitions per tenant: 8,000 index writes a second (1,000 each), 4,000 posted transfers. */
export const LEDGER_SHARDS = 8;

/** The by-tenant-time partition of shard `shard`. */
export const ledgerPartition = (tenantId: string, shard: number): string => `${tenantId}#${shard}`;

/** The shard of a transfer's rows (FNV-1a of its id): a function of the id only. */
export function ledgerShard(transferId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < transferId.length; i++) {
    hash ^= transferId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % LEDGER_SHARDS;
}

/**
 * The by-tenant-time sort key `<postedAt>#<transferId>#<accountId>`: unique per row, and ordered as the
 * tuple is (`#` sorts before every character of an id or instant).
 */
export function ledgerSortKey(row: {
  readonly postedAt: string;
  readonly transferId: string;
  readonly accountId: string;
}): string {
  return `${row.postedAt}#${row.transferId}#${row.accountId}`;
}

/**
 * The guard lives in its own partition, so a history Query returns postings only; one guard per stream
 * (a sharded account's shards each have theirs, their postings share the account's partition).
 */
export function historyGuardKey(tenantId: string, streamId: string): RowKey {
  return { pk: `guard#${tenantId}#${streamId}`, sk: 'guard' };
}

function posting(state: HistoryState, event: StoredEvent): { state: HistoryState; row: Posting } | null {
  if (event.type !== 'TransferPosted' && event.type !== 'PendingTransferPosted') return null;
  const p = event.payload;
  // A shard's postings are the account's: one history per account, whatever stream the leg landed on.
  const accountId = accountOfStream(event.stream.id);
  const sharded = state.sharded === true || isShardStream(event.stream.id);
  const direction =
    p.debitAccountId === accountId ? 'debit' : p.creditAccountId === accountId ? 'credit' : null;
  if (direction === null) return null;
  const next =
    direction === 'debit'
      ? { ...state, debitsPosted: addMinor(state.debitsPosted, p.amount) }
      : { ...state, creditsPosted: addMinor(state.creditsPosted, p.amount) };
  return {
    state: next,
    row: {
      accountId,
      transferId: p.transferId,
      postedAt: event.occurredAt,
      type: event.type,
      direction,
      amount: p.amount,
      currency: p.currency,
      counterpartyAccountId: direction === 'debit' ? p.creditAccountId : p.debitAccountId,
      // A shard's running total is not the account's balance: only a single stream's is.
      postedBalanceAfter: sharded ? null : next.creditsPosted - next.debitsPosted,
      accountVersion: event.version,
      ...(sharded ? { stream: event.stream.id } : {}),
    },
  };
}

/**
 * One row per posting (a transfer posted at once, or a reservation posted) on each account it
 * touches; reservations, voids and expiries move no posted money and add no row.
 */
export const accountHistory: Projection<HistoryState> = {
  model: 'account-history',
  streamType: 'account',
  guardKey: (stream: StreamRef) => historyGuardKey(stream.tenantId, stream.id),
  apply: (state, event) => {
    const current = state ?? { debitsPosted: 0, creditsPosted: 0 };
    if (event.type === 'AccountOpened' && (event.payload.shards ?? 0) > 0) {
      return { state: { ...current, sharded: true }, changes: [] };
    }
    const posted = posting(current, event);
    if (posted === null) return { state: current, changes: [] };
    const key = {
      pk: historyPartition(event.tenantId, posted.row.accountId),
      sk: historySortKey(posted.row),
    };
    return {
      state: posted.state,
      changes: [
        {
          kind: 'put',
          key,
          row: {
            tenantId: event.tenantId,
            ...posted.row,
            ledgerPk: ledgerPartition(event.tenantId, ledgerShard(posted.row.transferId)),
            ledgerSk: ledgerSortKey(posted.row),
          },
        },
      ],
    };
  },
};
