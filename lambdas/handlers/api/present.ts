import { type AccountState, availableBalance } from '../../domain/account.ts';
import type { StoredEvent } from '../../domain/events.ts';
import type { DailyTotals, Posting } from '../../domain/projections/read-model.ts';
import type { TransferState } from '../../domain/transfer.ts';

/** The public shape of an account. */
export function presentAccount(account: AccountState) {
  return {
    id: account.id,
    currency: account.currency,
    kind: account.kind,
    status: account.status,
    flags: account.flags,
    balances: {
      debitsPending: account.debitsPending,
      debitsPosted: account.debitsPosted,
      creditsPending: account.creditsPending,
      creditsPosted: account.creditsPosted,
      available: availableBalance(account),
    },
    version: account.version,
    createdAt: account.createdAt,
  };
}

/** The public shape of a transfer. */
export function presentTransfer(transfer: TransferState) {
  return {
    id: transfer.id,
    status: transfer.status,
    purpose: transfer.purpose,
    pending: transfer.twoPhase,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    postedAmount: transfer.postedAmount,
    currency: transfer.currency,
    reference: transfer.reference,
    expiresAt: transfer.expiresAt,
    createdAt: transfer.createdAt,
    resolvedAt: transfer.resolvedAt,
  };
}

/** The public shape of an event in the audit trail. */
export function presentEvent(event: StoredEvent) {
  return {
    /** The stream it was appended to: the account's id, or one of its shards (`<id>~<k>`). */
    stream: event.stream.id,
    version: event.version,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    causationId: event.causationId,
    actor: event.actor,
    payload: event.payload,
  };
}

/** The public shape of a history row. */
export function presentPosting(posting: Posting) {
  return {
    transferId: posting.transferId,
    postedAt: posting.postedAt,
    type: posting.type,
    direction: posting.direction,
    amount: posting.amount,
    currency: posting.currency,
    counterpartyAccountId: posting.counterpartyAccountId,
    postedBalanceAfter: posting.postedBalanceAfter,
    accountVersion: posting.accountVersion,
    ...(posting.stream === undefined ? {} : { stream: posting.stream }),
  };
}

/** The public shape of one day's totals. */
export function presentDailyTotals(totals: DailyTotals) {
  return { ...totals };
}
