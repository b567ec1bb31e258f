/**
 * The replay half of `audit:verify`: every account stream folded with the read models' own
 * projections (the account view is the account's reducer; the history its posting rows), compared
 * with what the read models hold, and the books checked to balance per currency.
 */
import type { AccountState } from './account.ts';
import { canonicalJson } from './audit.ts';
import { type AuditedStream, type Finding, streamName } from './audit-verify.ts';
import type { StoredEvent } from './events.ts';
import { accountHistory, type HistoryState, historySortKey } from './projections/account-history.ts';
import { accountView } from './projections/account-view.ts';
import type { Posting } from './projections/read-model.ts';
import { accountOfStream } from './shards.ts';

/** What the read models hold for the tenant's accounts, as the audit read it. */
export interface ReadModelsSeen {
  /** The account view row of each account stream id (null: no row). */
  readonly accountViews: ReadonlyMap<string, AccountState | null>;
  /** The history rows of each account id, all pages. */
  readonly history: ReadonlyMap<string, readonly Posting[]>;
}

/** What the replay gives: the account view of each stream, the history rows of each account. */
export interface Replayed {
  readonly views: ReadonlyMap<string, AccountState | null>;
  /** Account id → history sort key → row (as the projection writes it, without the tenant). */
  readonly history: ReadonlyMap<string, ReadonlyMap<string, Posting & { readonly stream?: string }>>;
  /** Currency → Σ (creditsPosted − debitsPosted) over every account stream: zero by double entry. */
  readonly net: ReadonlyMap<string, number>;
}

const decoded = (stream: AuditedStream): StoredEvent[] =>
  stream.events.flatMap((e) => (e.event ? [e.event] : []));

/** Folds every account stream with the account view and history projections. */
export function replayAccounts(streams: Iterable<AuditedStream>): Replayed {
  const views = new Map<string, AccountState | null>();
  const history = new Map<string, Map<string, Posting>>();
  const net = new Map<string, number>();
  for (const stream of streams) {
    if (stream.ref.type !== 'account') continue;
    let view: AccountState | null = null;
    let state: HistoryState | null = null;
    const rows = history.get(accountOfStream(stream.ref.id)) ?? new Map<string, Posting>();
    for (const event of decoded(stream)) {
      view = accountView.apply(view, event).state;
      const applied = accountHistory.apply(state, event);
      state = applied.state;
      for (const change of applied.changes) {
        if (change.kind !== 'put' || change.key.sk === undefined) continue;
        const { tenantId: _tenant, ...row } = change.row;
        rows.set(change.key.sk, postingOf(row));
      }
    }
    views.set(stream.ref.id, view);
    if (rows.size > 0) history.set(accountOfStream(stream.ref.id), rows);
    if (view !== null)
      net.set(view.currency, (net.get(view.currency) ?? 0) + view.creditsPosted - view.debitsPosted);
  }
  return { views, history, net };
}

/** A history row as the projection built it: the Posting fields it always sets. */
function postingOf(row: Readonly<Record<string, unknown>>): Posting {
  const text = (name: string) => String(row[name]);
  const amount = Number(row.amount);
  return {
    accountId: text('accountId'),
    transferId: text('transferId'),
    postedAt: text('postedAt'),
    type: row.type === 'PendingTransferPosted' ? 'PendingTransferPosted' : 'TransferPosted',
    direction: row.direction === 'debit' ? 'debit' : 'credit',
    amount,
    currency: text('currency'),
    counterpartyAccountId: text('counterpartyAccountId'),
    postedBalanceAfter: row.postedBalanceAfter === null ? null : Number(row.postedBalanceAfter),
    accountVersion: Number(row.accountVersion),
    ...(typeof row.stream === 'string' ? { stream: row.stream } : {}),
  };
}

/** Compares the read models with the replay; each finding names the stream and version it is about. */
export function verifyReadModels(replayed: Replayed, seen: ReadModelsSeen): Finding[] {
  const findings: Finding[] = [];
  for (const [streamId, expected] of replayed.views) {
    const stream = streamName({ type: 'account', id: streamId });
    const actual = seen.accountViews.get(streamId) ?? null;
    if (expected === null || actual === null) {
      if (expected !== actual) {
        findings.push({
          kind: 'read-model',
          stream,
          detail: `account view ${actual ? 'has a row the events do not make' : 'has no row'}`,
        });
      }
    } else if (actual.version !== expected.version) {
      const ahead = actual.version > expected.version;
      findings.push({
        kind: 'read-model',
        stream,
        version: ahead ? actual.version : expected.version,
        detail: ahead
          ? `account view applied version ${actual.version}; the events end at ${expected.version}`
          : `account view is at version ${actual.version}, behind the events (projector lag, or lost events)`,
      });
    } else if (canonicalJson(actual) !== canonicalJson(expected)) {
      findings.push({
        kind: 'read-model',
        stream,
        version: expected.version,
        detail: 'account view balances differ from the replay',
      });
    }
  }
  for (const [accountId, rows] of replayed.history)
    findings.push(...compareHistory(accountId, rows, seen.history.get(accountId) ?? []));
  for (const [currency, sum] of replayed.net) {
    if (sum !== 0)
      findings.push({
        kind: 'books-unbalanced',
        detail: `${currency}: credits minus debits posted is ${sum}, not 0`,
      });
  }
  return findings;
}

function compareHistory(
  accountId: string,
  expected: ReadonlyMap<string, Posting>,
  actual: readonly Posting[],
): Finding[] {
  const findings: Finding[] = [];
  const where = (row: Posting) => ({
    stream: streamName({ type: 'account', id: row.stream ?? accountId }),
    version: row.accountVersion,
  });
  const seen = new Map(actual.map((row) => [historySortKey(row), row]));
  for (const [key, row] of expected) {
    const found = seen.get(key);
    if (found === undefined) {
      findings.push({
        kind: 'history',
        ...where(row),
        detail: `history row ${key} of ${accountId} is missing`,
      });
    } else if (canonicalJson(found) !== canonicalJson(row)) {
      findings.push({
        kind: 'history',
        ...where(row),
        detail: `history row ${key} of ${accountId} differs from the replay`,
      });
    }
  }
  for (const [key, row] of seen) {
    if (!expected.has(key))
      findings.push({
        kind: 'history',
        ...where(row),
        detail: `history row ${key} of ${accountId} has no event`,
      });
  }
  return findings;
}
