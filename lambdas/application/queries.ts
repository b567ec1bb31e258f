import { ACCOUNT, type AccountState, evolveAccount } from '../domain/account.ts';
import { AccountNotFoundError, TransferNotFoundError } from '../domain/errors.ts';
import type { StoredEvent, StreamRef } from '../domain/events.ts';
import { PaymentNotFoundError } from '../domain/payments/errors.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import type {
  DailyTotals,
  PostingPage,
  PostingPosition,
  ReadModelQueries,
} from '../domain/projections/read-model.ts';
import {
  combineShards,
  DEFAULT_SHARD_LAYOUT,
  isShardStream,
  ShardedAsOfVersionError,
  type ShardLayout,
  shardStreamIds,
} from '../domain/shards.ts';
import { isSystemAccount } from '../domain/system-ids.ts';
import type { TransferState } from '../domain/transfer.ts';
import { loadAccount } from './repository.ts';

/**
 * The streams an account is kept on, in their documented order: the main stream (a system account has
 * one only if it predates shards), then shards 0..N-1 (a system account's N is the layout's; a hot
 * account's is fixed when it opens). Only the main stream is read (`read` gives a stream's state, or
 * null); a client account without one does not exist.
 */
async function accountStreams(
  accountId: string,
  layout: ShardLayout,
  read: (streamId: string) => Promise<AccountState | null>,
): Promise<{ main: AccountState | null; streams: string[] }> {
  if (isShardStream(accountId)) throw new AccountNotFoundError(accountId);
  const main = await read(accountId);
  const system = isSystemAccount(accountId);
  if (!main && !system) throw new AccountNotFoundError(accountId);
  const shards = system ? layout.systemShards : (main?.shards ?? 0);
  const ids = shardStreamIds(accountId, shards);
  return { main, streams: main ? [accountId, ...ids] : ids };
}

/** An account as the sum of its streams' states; one none of whose streams exists is not found. */
async function wholeAccount(
  accountId: string,
  layout: ShardLayout,
  read: (streamId: string) => Promise<AccountState | null>,
): Promise<AccountState> {
  const { main, streams } = await accountStreams(accountId, layout, read);
  const parts = await Promise.all(streams.slice(main ? 1 : 0).map(read));
  const account = combineShards([main, ...parts].flatMap((part) => part ?? []));
  if (!account) throw new AccountNotFoundError(accountId);
  return account;
}

type StorePorts = Pick<LedgerPorts, 'events' | 'snapshots' | 'shards'>;

/** A stream's state as loaded from the event store (snapshot and newer events). */
function storedState(ports: StorePorts, tenantId: string) {
  return async (streamId: string) => (await loadAccount(ports, tenantId, streamId)).state;
}

/** Reads an account from the event store as the sum of its streams; another tenant's is not found. */
export function getAccount(ports: StorePorts, tenantId: string, accountId: string): Promise<AccountState> {
  return wholeAccount(accountId, ports.shards ?? DEFAULT_SHARD_LAYOUT, storedState(ports, tenantId));
}

/** Reads an account from the account view (eventually consistent) as the sum of its streams' rows. */
export async function getAccountView(
  views: ReadModelQueries,
  tenantId: string,
  accountId: string,
  layout: ShardLayout = DEFAULT_SHARD_LAYOUT,
): Promise<AccountState> {
  return wholeAccount(accountId, layout, (id) => views.account(tenantId, id));
}

/** A point in an account's past: after its `version`-th event, or at an instant. */
export type AsOf = { readonly version: number } | { readonly time: string };

/**
 * An account as it was (time travel), replayed from the event store: never from a snapshot newer
 * than the target. Before the account was opened it does not exist. A sharded account has no single
 * version to go back to: it answers `asOf` an instant only (each stream replayed up to it, then summed).
 */
export async function getAccountAsOf(
  ports: StorePorts,
  tenantId: string,
  accountId: string,
  asOf: AsOf,
): Promise<AccountState> {
  const layout = ports.shards ?? DEFAULT_SHARD_LAYOUT;
  const { main, streams } = await accountStreams(accountId, layout, storedState(ports, tenantId));
  if ('version' in asOf) {
    if (streams.length !== 1 || streams[0] !== accountId) {
      // A system account none of whose shards exists yet is not found, as any other.
      if (!main) await wholeAccount(accountId, layout, storedState(ports, tenantId));
      throw new ShardedAsOfVersionError(accountId);
    }
    return streamAsOfVersion(ports, { type: 'account', tenantId, id: accountId }, asOf.version);
  }
  const until = Date.parse(asOf.time);
  const states = await Promise.all(
    streams.map(async (id) => {
      let state: AccountState | null = null;
      for (const event of await ports.events.readStream({ type: 'account', tenantId, id })) {
        if (Date.parse(event.occurredAt) > until) break;
        state = evolveAccount(state, event);
      }
      return state;
    }),
  );
  const account = combineShards(states.flatMap((state) => state ?? []));
  if (!account) throw new AccountNotFoundError(accountId);
  return account;
}

async function streamAsOfVersion(
  ports: StorePorts,
  stream: StreamRef,
  version: number,
): Promise<AccountState> {
  const snapshot = await ports.snapshots.get<AccountState>(stream, ACCOUNT.reducerVersion);
  const usable = snapshot && snapshot.version <= version ? snapshot : null;
  const events = await ports.events.readStream(stream, (usable?.version ?? 0) + 1, version);
  const state = events.reduce(evolveAccount, usable?.state ?? null);
  if (!state) throw new AccountNotFoundError(stream.id);
  return state;
}

/** Where a page of an account's events ends: the stream (its index in the documented order) and version. */
export interface EventsPosition {
  readonly stream: number;
  readonly version: number;
}

/**
 * A page of an account's events (the audit trail) after `after`: stream by stream in the documented order
 * (the main stream, then shards 0..N-1), each oldest first; each event names its stream. `last` is where
 * the page ended, for the next page's `after`.
 */
export async function listAccountEvents(
  ports: StorePorts,
  tenantId: string,
  accountId: string,
  after: EventsPosition,
  limit: number,
): Promise<{ events: StoredEvent[]; more: boolean; last: EventsPosition }> {
  const layout = ports.shards ?? DEFAULT_SHARD_LAYOUT;
  const { main, streams } = await accountStreams(accountId, layout, storedState(ports, tenantId));
  const page: { event: StoredEvent; stream: number }[] = [];
  let from = after.version;
  // Versions have no gaps, so a page of one stream is a version range; one more tells whether another follows.
  for (let index = after.stream; index < streams.length && page.length <= limit; index++) {
    const stream = { type: 'account' as const, tenantId, id: streams[index] ?? '' };
    const events = await ports.events.readStream(stream, from + 1, from + limit + 1 - page.length);
    page.push(...events.map((event) => ({ event, stream: index })));
    from = 0;
  }
  // A system account none of whose shards exists yet is not found, as any other.
  const fromStart = after.stream === 0 && after.version === 0;
  if (!main && fromStart && page.length === 0) throw new AccountNotFoundError(accountId);
  const kept = page.slice(0, limit);
  const end = kept.at(-1);
  return {
    events: kept.map((p) => p.event),
    more: page.length > limit,
    last: end ? { stream: end.stream, version: end.event.version } : after,
  };
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
