import type { StoredEvent, TransferPurpose } from './events.ts';
import { assertNever } from './exhaustive.ts';

export type TransferStatus = 'posted' | 'pending' | 'voided' | 'expired';

/** A transfer as its own stream defines it. */
export interface TransferState {
  readonly id: string;
  readonly tenantId: string;
  readonly status: TransferStatus;
  readonly purpose: TransferPurpose;
  /** Created as a reservation (pending, then posted, voided or expired). */
  readonly twoPhase: boolean;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
  /** The amount requested (reserved, for a two-phase transfer). */
  readonly amount: number;
  /** The amount that moved for good: `amount` once posted, up to it for a partial post, 0 otherwise. */
  readonly postedAmount: number;
  readonly reference: string | null;
  readonly expiresAt: string | null;
  readonly createdAt: string;
  readonly resolvedAt: string | null;
  readonly version: number;
}

/** Bump whenever `evolveTransfer` changes meaning. */
export const TRANSFER_REDUCER_VERSION = 1;

/** Applies one stored event to a transfer; account lifecycle events never reach a transfer stream. */
export function evolveTransfer(state: TransferState | null, event: StoredEvent): TransferState | null {
  const at = event.occurredAt;
  const versioned = (next: TransferState | null) => next && { ...next, version: event.version };
  switch (event.type) {
    case 'TransferPosted':
    case 'TransferPending': {
      const p = event.payload;
      const pending = event.type === 'TransferPending';
      return versioned({
        id: p.transferId,
        tenantId: event.tenantId,
        status: pending ? 'pending' : 'posted',
        purpose: p.purpose,
        twoPhase: pending,
        debitAccountId: p.debitAccountId,
        creditAccountId: p.creditAccountId,
        currency: p.currency,
        amount: p.amount,
        postedAmount: pending ? 0 : p.amount,
        reference: p.reference,
        expiresAt: event.type === 'TransferPending' ? event.payload.expiresAt : null,
        createdAt: at,
        resolvedAt: pending ? null : at,
        version: 0,
      });
    }
    case 'PendingTransferPosted':
      return versioned(
        state && { ...state, status: 'posted', postedAmount: event.payload.amount, resolvedAt: at },
      );
    case 'PendingTransferVoided':
      return versioned(state && { ...state, status: 'voided', resolvedAt: at });
    case 'PendingTransferExpired':
      return versioned(state && { ...state, status: 'expired', resolvedAt: at });
    case 'AccountOpened':
    case 'AccountFrozen':
    case 'AccountUnfrozen':
    case 'AccountClosed':
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
