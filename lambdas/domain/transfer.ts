import { type Aggregate, eventTypes, opened, reducerOf } from './aggregate.ts';
import type { StoredEvent, TransferEvent, TransferPurpose } from './events.ts';
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

/** Bump whenever the transfer's evolve changes meaning. */
export const TRANSFER_REDUCER_VERSION = 1;

function applyTransferEvent(state: TransferState | null, event: StoredEvent<TransferEvent>): TransferState {
  const at = event.occurredAt;
  switch (event.type) {
    case 'TransferPosted':
    case 'TransferPending': {
      const p = event.payload;
      const pending = event.type === 'TransferPending';
      return {
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
      };
    }
    case 'PendingTransferPosted':
      return {
        ...opened(state, event),
        status: 'posted',
        postedAmount: event.payload.amount,
        resolvedAt: at,
      };
    case 'PendingTransferVoided':
      return { ...opened(state, event), status: 'voided', resolvedAt: at };
    case 'PendingTransferExpired':
      return { ...opened(state, event), status: 'expired', resolvedAt: at };
    default:
      return assertNever(event);
  }
}

/** The transfer aggregate: its stream holds only transfer events. */
export const TRANSFER: Aggregate<TransferState, TransferEvent> = {
  streamType: 'transfer',
  eventTypes: eventTypes<TransferEvent>({
    TransferPosted: true,
    TransferPending: true,
    PendingTransferPosted: true,
    PendingTransferVoided: true,
    PendingTransferExpired: true,
  }),
  initialState: null,
  evolve: (state, event) => ({ ...applyTransferEvent(state, event), version: event.version }),
  reducerVersion: TRANSFER_REDUCER_VERSION,
};

/** Applies one event read from a transfer stream (the store boundary). */
export const evolveTransfer: (state: TransferState | null, event: StoredEvent) => TransferState =
  reducerOf(TRANSFER);
