import type { AccountState } from '../account.ts';
import type { StoredEvent, StreamRef, StreamType } from '../events.ts';
import type { PaymentState } from '../payments/payment.ts';
import type { TransferState } from '../transfer.ts';

/** The read models, each in its own table(s) with its own version guards. */
export const READ_MODELS = [
  'account-view',
  'account-history',
  'transfer-view',
  'daily-totals',
  'payment-view',
] as const;
export type ReadModelName = (typeof READ_MODELS)[number];

/** A row's key in a read-model table: `pk`, plus `sk` in the tables that have a sort key. */
export interface RowKey {
  readonly pk: string;
  readonly sk?: string;
}

/** Plain JSON attributes of a row (numbers are safe integers, strings, booleans, null, maps, lists). */
export type Attributes = Readonly<Record<string, unknown>>;

/** A row change a projection asks for, written in the same transaction that advances its guard. */
export type RowChange =
  | {
      /**
       * Replaces the row. It must be a function of the event and the guard's state only (it may be
       * written again by a retry or a rival projector, before the guard moves).
       */
      readonly kind: 'put';
      readonly key: RowKey;
      readonly row: Attributes;
    }
  | {
      /** Creates the row if needed, sets `set`, and adds `add` (numbers to counters, string lists to sets). */
      readonly kind: 'add';
      readonly key: RowKey;
      readonly set: Readonly<Record<string, string>>;
      readonly add: Readonly<Record<string, number | readonly string[]>>;
    };

/** What one read model has applied of one stream: the last version, and the model's state for it. */
export interface Guard<S> {
  /** The last applied stream version; 0 when nothing was applied yet. */
  readonly version: number;
  readonly state: S | null;
}

/** A projection: pure, one module per read model, applied to one stream's events in version order. */
export interface Projection<S> {
  readonly model: ReadModelName;
  /** The streams it reads; events of other streams never reach it. */
  readonly streamType: StreamType;
  /** Where its guard for `stream` lives. */
  guardKey(stream: StreamRef): RowKey;
  /** The state after `event` (the guard's version + 1) and the rows it changes besides the guard. */
  apply(state: S | null, event: StoredEvent): Applied<S>;
  /**
   * Top-level string attributes of the guard item (index keys), a function of the state only: written
   * with the guard in its conditional commit, so they can never run ahead of or behind it. @default none
   */
  guardAttributes?(state: S | null): Readonly<Record<string, string>>;
}

export interface Applied<S> {
  readonly state: S | null;
  readonly changes: readonly RowChange[];
}

/** A guard moved (or is held by a transaction in flight) between our read and our conditional write. */
export class GuardMovedError extends Error {
  override readonly name = 'GuardMovedError';
  readonly model: ReadModelName;
  readonly key: RowKey;
  constructor(model: ReadModelName, key: RowKey, options?: ErrorOptions) {
    super(`The ${model} guard ${key.pk}${key.sk ? `/${key.sk}` : ''} moved; read it again`, options);
    this.model = model;
    this.key = key;
  }
}

/** A commit of one event into one read model: the guard moves from `expectedVersion` to `next.version`. */
export interface GuardedCommit<S> {
  readonly model: ReadModelName;
  readonly key: RowKey;
  readonly tenantId: string;
  readonly expectedVersion: number;
  readonly next: Guard<S>;
  readonly changes: readonly RowChange[];
  /** Written on the guard item itself (see {@link Projection.guardAttributes}). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The write side of the read models (used by the projector, the redrive and the rebuild). */
export interface ReadModelStore {
  /**
   * The guard at `key`, `{ version: 0, state: null }` when absent. Strongly consistent, or what this
   * store itself last read or committed there (never ahead of the table: guards only move forward).
   */
  readGuard<S>(model: ReadModelName, key: RowKey, tenantId: string): Promise<Guard<S>>;
  /**
   * Atomically advances the guard (only if it is still at `expectedVersion`) and applies `changes`;
   * throws GuardMovedError otherwise, writing nothing.
   */
  commit<S>(commit: GuardedCommit<S>): Promise<void>;
  /**
   * Applies many commits (distinct guards) in few round trips. Each applies entirely or not at all;
   * returns those that did not (a guard moved, a transaction was cancelled), for the caller to redo.
   */
  commitBatch(commits: readonly GuardedCommit<unknown>[]): Promise<readonly GuardedCommit<unknown>[]>;
}

/** One posting on an account: a row of its history. */
export interface Posting {
  readonly accountId: string;
  readonly transferId: string;
  /** When the money moved for good (the posting event's `occurredAt`). */
  readonly postedAt: string;
  readonly type: 'TransferPosted' | 'PendingTransferPosted';
  /** The side this account played. */
  readonly direction: 'debit' | 'credit';
  readonly amount: number;
  readonly currency: string;
  readonly counterpartyAccountId: string;
  /**
   * Posted credits minus posted debits of the account right after this posting; null on a sharded
   * account, whose postings land on several streams with no order between them.
   */
  readonly postedBalanceAfter: number | null;
  /** The version of the posting event in its stream. */
  readonly accountVersion: number;
  /** The shard stream it landed on (`<id>~<k>`), for a sharded account; absent for the main stream. */
  readonly stream?: string;
}

/** Keyset position in an account's history: `(postedAt, transferId)` of the last row seen. */
export interface PostingPosition {
  readonly postedAt: string;
  readonly transferId: string;
}

/** A page of history; `more` says whether rows follow the last one. */
export interface PostingPage {
  readonly rows: readonly Posting[];
  readonly more: boolean;
}

/** Totals of one tenant, currency and UTC day. */
export interface DailyTotals {
  readonly day: string;
  readonly currency: string;
  /** Postings (transfers that moved money for good) that day. */
  readonly count: number;
  /** Sum of posted debits; equal to `credits` by double entry, and reported so a reader can check it. */
  readonly debits: number;
  readonly credits: number;
  /** Of which: money in (deposits) and money out (withdrawals) through the settlement account. */
  readonly deposits: number;
  readonly withdrawals: number;
}

/** The read side the query handlers use. */
export interface ReadModelQueries {
  account(tenantId: string, accountId: string): Promise<AccountState | null>;
  transfer(tenantId: string, transferId: string): Promise<TransferState | null>;
  /** A page of an account's history after `after`, oldest first; null when the account is unknown. */
  postings(
    tenantId: string,
    accountId: string,
    after: PostingPosition | null,
    limit: number,
  ): Promise<PostingPage | null>;
  /** Totals of `currency` for the days `from`..`to` (inclusive, `YYYY-MM-DD`), days without postings left out. */
  dailyTotals(tenantId: string, currency: string, from: string, to: string): Promise<DailyTotals[]>;
  /** The currencies the tenant has daily totals in. */
  currencies(tenantId: string): Promise<string[]>;
  /** A payment from the payment view; null when unknown. */
  payment(tenantId: string, paymentId: string): Promise<PaymentState | null>;
  /** Payments newest first, optionally of one status, after the keyset position `after` (a `listSk`). */
  payments(
    tenantId: string,
    filter: { readonly status?: string | undefined; readonly after: string | null; readonly limit: number },
  ): Promise<{ readonly rows: readonly PaymentState[]; readonly more: boolean }>;
}
