import type { StoredEvent, StreamRef } from '../events.ts';
import { addMinor } from '../money.ts';
import type { Posting, PostingPosition, Projection, RowKey } from './read-model.ts';

/** What the history keeps per account besides its rows: the posted totals, for `postedBalanceAfter`. */
export interface HistoryState {
  readonly debitsPosted: number;
  readonly creditsPosted: number;
}

/** Partition of an account's history rows: `<tenantId>#<accountId>`. */
export function historyPartition(tenantId: string, accountId: string): string {
  return `${tenantId}#${accountId}`;
}

/** Sort key of a history row: `<postedAt>#<transferId>`, so rows page in keyset order. */
export function historySortKey(position: PostingPosition): string {
  return `${position.postedAt}#${position.transferId}`;
}

/** The guard lives in its own partition, so a history Query returns postings only. */
export function historyGuardKey(tenantId: string, accountId: string): RowKey {
  return { pk: `guard#${tenantId}#${accountId}`, sk: 'guard' };
}

function posting(state: HistoryState, event: StoredEvent): { state: HistoryState; row: Posting } | null {
  if (event.type !== 'TransferPosted' && event.type !== 'PendingTransferPosted') return null;
  const p = event.payload;
  const accountId = event.stream.id;
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
      postedBalanceAfter: next.creditsPosted - next.debitsPosted,
      accountVersion: event.version,
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
    const posted = posting(current, event);
    if (posted === null) return { state: current, changes: [] };
    const key = {
      pk: historyPartition(event.tenantId, posted.row.accountId),
      sk: historySortKey(posted.row),
    };
    return {
      state: posted.state,
      changes: [{ kind: 'put', key, row: { tenantId: event.tenantId, ...posted.row } }],
    };
  },
};
