import type { AccountFlags, AccountKind, LedgerEvent, StoredEvent } from './events.ts';
import { assertNever } from './exhaustive.ts';
import { addMinor, subtractMinor } from './money.ts';

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
  /** The stream version this state reflects. */
  readonly version: number;
  readonly createdAt: string;
}

/** Bump whenever `evolveAccount` changes meaning: snapshots of other versions are then ignored. */
export const ACCOUNT_REDUCER_VERSION = 1;

/** The default limits per account kind: customers and merchants cannot go below zero. */
export function defaultFlags(kind: AccountKind): AccountFlags {
  return { debitsMustNotExceedCredits: kind !== 'internal', creditsMustNotExceedDebits: false };
}

/** Funds the account can still spend: posted credits minus posted and reserved debits. */
export function availableBalance(account: AccountState): number {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

/** Applies one stored event to an account; a pure, exhaustive reducer. */
export function evolveAccount(state: AccountState | null, event: StoredEvent): AccountState | null {
  const next = applyAccountEvent(state, event, event.occurredAt, event.tenantId);
  return next && { ...next, version: event.version };
}

function applyAccountEvent(
  state: AccountState | null,
  event: LedgerEvent,
  occurredAt: string,
  tenantId: string,
): AccountState | null {
  switch (event.type) {
    case 'AccountOpened':
      return {
        id: event.payload.accountId,
        tenantId,
        currency: event.payload.currency,
        kind: event.payload.kind,
        status: 'open',
        flags: event.payload.flags,
        debitsPending: 0,
        debitsPosted: 0,
        creditsPending: 0,
        creditsPosted: 0,
        version: 0,
        createdAt: occurredAt,
      };
    case 'AccountFrozen':
      return state && { ...state, status: 'frozen' };
    case 'AccountUnfrozen':
      return state && { ...state, status: 'open' };
    case 'AccountClosed':
      return state && { ...state, status: 'closed' };
    case 'TransferPosted':
      return state && moveBalances(state, event.payload, { posted: event.payload.amount });
    case 'TransferPending':
      return state && moveBalances(state, event.payload, { pending: event.payload.amount });
    case 'PendingTransferPosted':
      return (
        state &&
        moveBalances(state, event.payload, {
          pending: -event.payload.pendingAmount,
          posted: event.payload.amount,
        })
      );
    case 'PendingTransferVoided':
    case 'PendingTransferExpired':
      return state && moveBalances(state, event.payload, { pending: -event.payload.pendingAmount });
    // Payment events live in payment streams; they never reach an account.
    case 'PaymentInitiated':
    case 'FundsReserved':
    case 'RiskAssessed':
    case 'PaymentCaptured':
    case 'PaymentSettled':
    case 'PaymentFailed':
    case 'ReservationVoided':
    case 'CaptureRefunded':
    case 'RefundRequested':
    case 'PaymentRefunded':
    case 'RefundFailed':
    case 'MerchantNotificationRequested':
      return state;
    default:
      return assertNever(event);
  }
}

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
