import { ACCOUNT, type AccountState, evolveAccount } from '../domain/account.ts';
import { AccountNotFoundError, TransferNotFoundError } from '../domain/errors.ts';
import type { StoredEvent } from '../domain/events.ts';
import { PaymentNotFoundError } from '../domain/payments/errors.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import type {
  DailyTotals,
  PostingPage,
  PostingPosition,
  ReadModelQueries,
} from '../domain/projections/read-model.ts';

import type { TransferState } from '../domain/transfer.ts';

/** Reads an account from the account view (eventually consistent); another tenant's is not found. */
export async function getAccountView(
  views: ReadModelQueries,
  tenantId: string,
  accountId: string,
): Promise<AccountState> {
  const account = await views.account(tenantId, accountId);
  if (!account) throw new AccountNotFoundError(accountId);
  return account;
}

/** A point in an account's past: after its `version`-th event, or at an instant. */
export type AsOf = { readonly version: number } | { readonly time: string };

/**
 * An account as it was (time travel), replayed from the event store: never from a snapshot newer
 * than the target. Before the account was opened it does not exist.
 */
export async function getAccountAsOf(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  tenantId: string,
  accountId: string,
  asOf: AsOf,
): Promise<AccountState> {
  const stream = { type: 'account' as const, tenantId, id: accountId };
  let state: AccountState | null = null;
  if ('version' in asOf) {
    const snapshot = await ports.snapshots.get<AccountState>(stream, ACCOUNT.reducerVersion);
    const usable = snapshot && snapshot.version <= asOf.version ? snapshot : null;
    const events = await ports.events.readStream(stream, (usable?.version ?? 0) + 1, asOf.version);
    state = events.reduce(evolveAccount, usable?.state ?? null);
  } else {
    const until = Date.parse(asOf.time);
    for (const event of await ports.events.readStream(stream)) {
      if (Date.parse(event.occurredAt) > until) break;
      state = evolveAccount(state, event);
    }
  }
  if (!state) throw new AccountNotFoundError(accountId);
  return state;
}

/** A page of an account's events (the audit trail), oldest first, after version `after`. */
export async function listAccountEvents(
  ports: Pick<LedgerPorts, 'events'>,
  tenantId: string,
  accountId: string,
  after: number,
  limit: number,
): Promise<{ events: StoredEvent[]; more: boolean }> {
  const stream = { type: 'account' as const, tenantId, id: accountId };
  // Versions have no gaps, so the page is a version range; one more tells whether another follows.
  const events = await ports.events.readStream(stream, after + 1, after + limit + 1);
  if (after === 0 && events.length === 0) throw new AccountNotFoundError(accountId);
  return { events: events.slice(0, limit), more: events.length > limit };
}

/** A page of an account's postings in (postedAt, transferId) order, after `after`. */
export async function listTransactions(
  views: ReadModelQueries,
  tenantId: string,
  accountId: string,
  after: PostingPosition | null,
  limit: number,
): Promise<PostingPage> {
  const page = await views.postings(tenantId, accountId, after, limit);
  if (!page) throw new AccountNotFoundError(accountId);
  return page;
}

/** Reads a transfer from the transfer view (eventually consistent). */
export async function getTransferView(
  views: ReadModelQueries,
  tenantId: string,
  transferId: string,
): Promise<TransferState> {
  const transfer = await views.transfer(tenantId, transferId);
  if (!transfer) throw new TransferNotFoundError(transferId);
  return transfer;
}

/** Daily totals of `from`..`to` (UTC days, inclusive) in one currency, or in every currency the tenant uses. */
export async function dailyReport(
  views: ReadModelQueries,
  tenantId: string,
  range: { readonly from: string; readonly to: string; readonly currency?: string | undefined },
): Promise<DailyTotals[]> {
  const currencies = range.currency ? [range.currency] : await views.currencies(tenantId);
  const totals = await Promise.all(
    currencies.map((c) => views.dailyTotals(tenantId, c, range.from, range.to)),
  );
  return totals
    .flat()
    .sort((a, b) => (a.day === b.day ? (a.currency < b.currency ? -1 : 1) : a.day < b.day ? -1 : 1));
}

/** Reads a payment from the payment view (eventually consistent). */
export async function getPaymentView(
  views: ReadModelQueries,
  tenantId: string,
  paymentId: string,
): Promise<PaymentState> {
  const payment = await views.payment(tenantId, paymentId);
  if (!payment) throw new PaymentNotFoundError(paymentId);
  return payment;
}
