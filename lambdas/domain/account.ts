import { type Aggregate, eventTypes, opened, reducerOf } from './aggregate.ts';
import {
  AccountClosedError,
  AccountFrozenError,
  AccountNotEmptyError,
  AccountNotFoundError,
  InvalidStatusTransitionError,
} from './errors.ts';
import type {
  AccountEvent,
  AccountFlags,
  AccountKind,
  AccountLifecycleEvent,
  StoredEvent,
} from './events.ts';
import { assertNever } from './exhaustive.ts';
import { addMinor, currency as parseCurrency, subtractMinor } from './money.ts';

export type AccountStatus = 'open' | 'frozen' | 'closed';

/** An account as its events define it. Balances are integer minor units. */
export interface AccountState {
  readonly id: string;
  readonly tenantId: string;
  readonly currency: string;
  readonly kind: AccountKind;
  readonly status: AccountStatus;
  readonly flags: AccountFlags;
  readonly debitsPending: number;
  readonly debitsPosted: number;
  readonly creditsPending: number;
  readonly creditsPosted: number;
  /** Replicas of a hot account (0: a plain account; see shards.ts). Fixed when it opens. */
  readonly shards: number;
  /** The stream version this state reflects (for a sharded account: the events across its streams). */
  readonly version: number;
  readonly createdAt: string;
}

/** Bump whenever the account's evolve changes meaning: snapshots of other versions are then ignored. */
export const ACCOUNT_REDUCER_VERSION = 2;

/** The default limits per account kind: customers and merchants cannot go below zero. */
export function defaultFlags(kind: AccountKind): AccountFlags {
  return { debitsMustNotExceedCredits: kind !== 'internal', creditsMustNotExceedDebits: false };
}

/** Funds the account can still spend: posted credits minus posted and reserved debits. */
export function availableBalance(account: AccountState): number {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

const ACCOUNT_EVENT_TYPES = eventTypes<AccountEvent>({
  AccountOpened: true,
  AccountFrozen: true,
  AccountUnfrozen: true,
  AccountClosed: true,
  TransferPosted: true,
  TransferPending: true,
  PendingTransferPosted: true,
  PendingTransferVoided: true,
  PendingTransferExpired: true,
});

function applyAccountEvent(state: AccountState | null, event: StoredEvent<AccountEvent>): AccountState {
  switch (event.type) {
    case 'AccountOpened':
      return {
        id: event.payload.accountId,
        tenantId: event.tenantId,
        currency: event.payload.currency,
        kind: event.payload.kind,
        status: 'open',
        flags: event.payload.flags,
        shards: event.payload.shards ?? 0,
        debitsPending: 0,
        debitsPosted: 0,
        creditsPending: 0,
        creditsPosted: 0,
        version: 0,
        createdAt: event.occurredAt,
      };
    case 'AccountFrozen':
      return { ...opened(state, event), status: 'frozen' };
    case 'AccountUnfrozen':
      return { ...opened(state, event), status: 'open' };
    case 'AccountClosed':
      return { ...opened(state, event), status: 'closed' };
    case 'TransferPosted':
      return moveBalances(opened(state, event), event.payload, { posted: event.payload.amount });
    case 'TransferPending':
      return moveBalances(opened(state, event), event.payload, { pending: event.payload.amount });
    case 'PendingTransferPosted':
      return moveBalances(opened(state, event), event.payload, {
        pending: -event.payload.pendingAmount,
        posted: event.payload.amount,
      });
    case 'PendingTransferVoided':
    case 'PendingTransferExpired':
      return moveBalances(opened(state, event), event.payload, { pending: -event.payload.pendingAmount });
    default:
      return assertNever(event);
  }
}

/** The account aggregate: its own lifecycle events and the transfer legs that land on it. */
export const ACCOUNT: Aggregate<AccountState, AccountEvent> = {
  streamType: 'account',
  eventTypes: ACCOUNT_EVENT_TYPES,
  initialState: null,
  evolve: (state, event) => ({ ...applyAccountEvent(state, event), version: event.version }),
  reducerVersion: ACCOUNT_REDUCER_VERSION,
};

/** Applies one event read from an account stream (the store boundary); a pure, exhaustive reducer. */
export const evolveAccount: (state: AccountState | null, event: StoredEvent) => AccountState =
  reducerOf(ACCOUNT);

/** Moves the side of the balance this account plays in a transfer (it may be the debit or the credit leg). */
function moveBalances(
  state: AccountState,
  legs: { readonly debitAccountId: string; readonly creditAccountId: string },
  delta: { readonly pending?: number; readonly posted?: number },
): AccountState {
  const pending = delta.pending ?? 0;
  const posted = delta.posted ?? 0;
  if (legs.debitAccountId === state.id) {
    return {
      ...state,
      debitsPending: signedAdd(state.debitsPending, pending),
      debitsPosted: signedAdd(state.debitsPosted, posted),
    };
  }
  if (legs.creditAccountId === state.id) {
    return {
      ...state,
      creditsPending: signedAdd(state.creditsPending, pending),
      creditsPosted: signedAdd(state.creditsPosted, posted),
    };
  }
  return state;
}

function signedAdd(value: number, delta: number): number {
  return delta >= 0 ? addMinor(value, delta) : subtractMinor(value, -delta);
}

/** What a client may ask of an account's lifecycle. */
export type AccountCommand =
  | {
      readonly type: 'OpenAccount';
      readonly accountId: string;
      readonly currency: string;
      readonly kind: AccountKind;
      readonly flags?: Partial<AccountFlags>;
      /** Replicas of a hot account (see shards.ts); 0 or absent for a plain one. */
      readonly shards?: number;
    }
  | { readonly type: 'FreezeAccount'; readonly accountId: string; readonly reason: string }
  | { readonly type: 'UnfreezeAccount'; readonly accountId: string }
  | { readonly type: 'CloseAccount'; readonly accountId: string };

/** The account, or AccountNotFoundError. */
export function existingAccount(state: AccountState | null, accountId: string): AccountState {
  if (!state) throw new AccountNotFoundError(accountId);
  return state;
}

/** A frozen or closed account takes no new transfers and posts no reservations. */
export function assertOpen(account: AccountState): void {
  if (account.status === 'frozen') throw new AccountFrozenError(account.id);
  if (account.status === 'closed') throw new AccountClosedError(account.id);
}

function transition(
  state: AccountState | null,
  accountId: string,
  from: readonly AccountStatus[],
  to: AccountStatus,
): void {
  const account = existingAccount(state, accountId);
  if (!from.includes(account.status)) throw new InvalidStatusTransitionError(accountId, account.status, to);
}

function isEmpty(account: AccountState): boolean {
  return (
    account.debitsPending === 0 &&
    account.creditsPending === 0 &&
    account.debitsPosted === account.creditsPosted
  );
}

/**
 * Decides an account command against the account's state: the events to append, or a rejection
 * (a LedgerError). Customer and merchant accounts cannot go below zero by default; a freeze stops
 * new transfers; only an account that holds nothing closes.
 */
export function decideAccount(command: AccountCommand, state: AccountState | null): AccountLifecycleEvent[] {
  const { accountId } = command;
  switch (command.type) {
    case 'OpenAccount': {
      const flags = { ...defaultFlags(command.kind), ...command.flags };
      const currency = parseCurrency(command.currency);
      const shards = command.shards ? { shards: command.shards } : {};
      return [
        { type: 'AccountOpened', payload: { accountId, currency, kind: command.kind, flags, ...shards } },
      ];
    }
    case 'FreezeAccount':
      transition(state, accountId, ['open'], 'frozen');
      return [{ type: 'AccountFrozen', payload: { accountId, reason: command.reason } }];
    case 'UnfreezeAccount':
      transition(state, accountId, ['frozen'], 'open');
      return [{ type: 'AccountUnfrozen', payload: { accountId } }];
    case 'CloseAccount': {
      const account = existingAccount(state, accountId);
      if (account.status !== 'closed' && !isEmpty(account)) throw new AccountNotEmptyError(accountId);
      transition(state, accountId, ['open', 'frozen'], 'closed');
      return [{ type: 'AccountClosed', payload: { accountId } }];
    }
    default:
      return assertNever(command);
  }
}
