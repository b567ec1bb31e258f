/** Ledger events: past tense, versioned, and the only source of truth. */

import type { MerchantNotification } from './notifications.ts';

export type AccountKind = 'customer' | 'merchant' | 'internal';

export interface AccountFlags {
  /** Reject any reservation that would let debits exceed posted credits (on for customers and merchants). */
  readonly debitsMustNotExceedCredits: boolean;
  /** Reject any reservation that would let credits exceed posted debits. */
  readonly creditsMustNotExceedDebits: boolean;
}

/** Why a transfer exists: a plain transfer, or money in/out against the tenant's settlement account. */
export type TransferPurpose = 'transfer' | 'deposit' | 'withdrawal';

/** The legs every transfer event repeats, so each stream's reducer needs no other stream. */
export interface TransferLegs {
  readonly transferId: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
}

/** Events that change an account's lifecycle: only ever in `account` streams. */
export type AccountLifecycleEvent =
  | {
      readonly type: 'AccountOpened';
      readonly payload: {
        readonly accountId: string;
        readonly currency: string;
        readonly kind: AccountKind;
        readonly flags: AccountFlags;
        /** Replicas of a hot account (see shards.ts); absent for a plain account. */
        readonly shards?: number;
      };
    }
  | {
      readonly type: 'AccountFrozen';
      readonly payload: { readonly accountId: string; readonly reason: string };
    }
  | { readonly type: 'AccountUnfrozen'; readonly payload: { readonly accountId: string } }
  | { readonly type: 'AccountClosed'; readonly payload: { readonly accountId: string } };

/** Events of the `transfer` stream; each is also written to both accounts' streams (the legs). */
export type TransferEvent =
  | {
      readonly type: 'TransferPosted';
      readonly payload: TransferLegs & {
        readonly amount: number;
        readonly purpose: TransferPurpose;
        readonly reference: string | null;
        /** Booked as a fact from outside (see `OpenTransferCommand.fact`); absent otherwise. */
        readonly fact?: true;
        /** The codes of the rules the fact was booked over (frozen, insufficient funds...); absent if none. */
        readonly overrode?: readonly string[];
      };
    }
  | {
      readonly type: 'TransferPending';
      readonly payload: TransferLegs & {
        readonly amount: number;
        readonly purpose: TransferPurpose;
        readonly reference: string | null;
        readonly expiresAt: string | null;
        /** Booked as a fact from outside (see `OpenTransferCommand.fact`); absent otherwise. */
        readonly fact?: true;
        /** The codes of the rules the fact was booked over (frozen, insufficient funds...); absent if none. */
        readonly overrode?: readonly string[];
      };
    }
  | {
      readonly type: 'PendingTransferPosted';
      readonly payload: TransferLegs & {
        readonly pendingAmount: number;
        readonly amount: number;
        /** Posted as a fact from outside, whatever the accounts' status; absent otherwise. */
        readonly fact?: true;
        /** The codes of the rules the fact was posted over (a frozen or closed account); absent if none. */
        readonly overrode?: readonly string[];
      };
    }
  | {
      readonly type: 'PendingTransferVoided';
      readonly payload: TransferLegs & { readonly pendingAmount: number };
    }
  | {
      readonly type: 'PendingTransferExpired';
      readonly payload: TransferLegs & { readonly pendingAmount: number };
    };

/** Events of the `account` stream: its lifecycle and the transfer legs that land on it. */
export type AccountEvent = AccountLifecycleEvent | TransferEvent;

/** Every event of every stream: used only at the store boundary (ports, upcasting, projections). */
export type LedgerEvent = AccountEvent | TransferEvent | PaymentEvent;

/** The saga step a payment failed in (the ASL state name). */
export type PaymentStep =
  | 'ReserveFunds'
  | 'AssessRisk'
  | 'CaptureAtProcessor'
  | 'PostTransfer'
  | 'NotifyMerchant';

/** A compensation that ran for a failed payment (the ASL state name). */
export type PaymentCompensation = 'RefundAtProcessor' | 'VoidReservation';

/** Events of the `payment` stream: the settlement saga's progress, compensations and refunds. */
export type PaymentEvent =
  | {
      readonly type: 'PaymentInitiated';
      readonly payload: {
        readonly paymentId: string;
        readonly payerAccountId: string;
        readonly merchantAccountId: string;
        readonly amount: number;
        readonly currency: string;
        /** The processor's token for the payer's card (never card data). */
        readonly paymentMethod: string;
        /** What the tenant keeps: moved to `fees-<CCY>`; the merchant gets `amount - fee`. */
        readonly fee: number;
        readonly description: string | null;
      };
    }
  | {
      readonly type: 'FundsReserved';
      readonly payload: { readonly paymentId: string; readonly transferId: string };
    }
  | {
      readonly type: 'RiskAssessed';
      readonly payload: {
        readonly paymentId: string;
        readonly decision: 'approved' | 'rejected';
        readonly reasons: readonly string[];
      };
    }
  | {
      readonly type: 'PaymentCaptured';
      readonly payload: { readonly paymentId: string; readonly processorPaymentId: string };
    }
  | {
      readonly type: 'PaymentSettled';
      readonly payload: {
        readonly paymentId: string;
        readonly merchantAmount: number;
        readonly fee: number;
        /** The linked transfers of the settlement (reserve posted, clearing → merchant, clearing → fees). */
        readonly transferIds: readonly string[];
      };
    }
  | {
      readonly type: 'PaymentFailed';
      readonly payload: {
        readonly paymentId: string;
        readonly reason: string;
        readonly failedStep: PaymentStep;
        readonly compensations: readonly PaymentCompensation[];
      };
    }
  | {
      /**
       * RefundAtProcessor's fence, appended before it calls the processor: no forward step (a late
       * PostTransfer) may append after it, so a capture is never refunded for a payment that settles.
       */
      readonly type: 'CompensationStarted';
      readonly payload: { readonly paymentId: string };
    }
  | {
      readonly type: 'ReservationVoided';
      readonly payload: { readonly paymentId: string; readonly transferId: string | null };
    }
  | {
      readonly type: 'CaptureRefunded';
      readonly payload: {
        readonly paymentId: string;
        readonly processorRefundId: string | null;
        /** `nothing-to-refund`: the processor never captured (e.g. the capture timed out before it happened). */
        readonly outcome: 'refunded' | 'nothing-to-refund';
      };
    }
  | {
      readonly type: 'RefundRequested';
      readonly payload: { readonly paymentId: string; readonly refundId: string; readonly amount: number };
    }
  | {
      readonly type: 'PaymentRefunded';
      readonly payload: {
        readonly paymentId: string;
        readonly refundId: string;
        readonly amount: number;
        readonly processorRefundId: string | null;
        readonly transferIds: readonly string[];
      };
    }
  | {
      readonly type: 'RefundFailed';
      readonly payload: { readonly paymentId: string; readonly refundId: string; readonly reason: string };
    }
  /** The outbox: the relay forwards it to the notifications queue (issue 6). */
  | { readonly type: 'MerchantNotificationRequested'; readonly payload: MerchantNotification };

export type PaymentEventType = PaymentEvent['type'];

/** The event that opens a payment stream. */
export type PaymentInitiated = Extract<PaymentEvent, { readonly type: 'PaymentInitiated' }>;

export type LedgerEventType = LedgerEvent['type'];

/** The schema version each event type is written with today. */
export const CURRENT_SCHEMA_VERSION: Readonly<Record<LedgerEventType, number>> = {
  AccountOpened: 2,
  AccountFrozen: 1,
  AccountUnfrozen: 1,
  AccountClosed: 1,
  TransferPosted: 1,
  TransferPending: 1,
  PendingTransferPosted: 1,
  PendingTransferVoided: 1,
  PendingTransferExpired: 1,
  PaymentInitiated: 1,
  FundsReserved: 1,
  RiskAssessed: 1,
  PaymentCaptured: 1,
  PaymentSettled: 1,
  PaymentFailed: 1,
  CompensationStarted: 1,
  ReservationVoided: 1,
  CaptureRefunded: 1,
  RefundRequested: 1,
  PaymentRefunded: 1,
  RefundFailed: 1,
  MerchantNotificationRequested: 1,
};

/** The streams events live in; the tenant is part of every stream key. */
export type StreamType = 'account' | 'transfer' | 'payment';

export interface StreamRef {
  readonly type: StreamType;
  readonly tenantId: string;
  readonly id: string;
}

/** `<streamType>#<tenantId>#<id>`: the events table partition key. */
export function streamKey(stream: StreamRef): string {
  return `${stream.type}#${stream.tenantId}#${stream.id}`;
}

/**
 * The parts of a stream key (the inverse of `streamKey`; types and tenants hold no `#`, ids may), or null
 * when it has fewer than three. The type is not checked: callers that need a StreamType check it.
 */
export function splitStreamKey(key: string): { type: string; tenantId: string; id: string } | null {
  const first = key.indexOf('#');
  const second = key.indexOf('#', first + 1);
  if (first < 0 || second < 0) return null;
  return { type: key.slice(0, first), tenantId: key.slice(first + 1, second), id: key.slice(second + 1) };
}

/** Who did it and why: carried on every event. */
export interface EventMetadata {
  readonly tenantId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: string;
}

/** An event with its envelope, as stored: one item per event. */
export type StoredEvent<E extends LedgerEvent = LedgerEvent> = E &
  EventMetadata & {
    readonly eventId: string;
    readonly schemaVersion: number;
    readonly occurredAt: string;
    readonly stream: StreamRef;
    readonly version: number;
  };

/** An event as read from storage before upcasting. */
export interface RawEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly payload: object;
}

export class UnknownEventTypeError extends Error {
  override readonly name = 'UnknownEventTypeError';
}

type Upcaster = (payload: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** Upcasters by type and the schema version they read; each yields the next version. */
const UPCASTERS: Partial<Record<LedgerEventType, Readonly<Record<number, Upcaster>>>> = {
  // v1 (the first release) knew only customer accounts with the default limit.
  AccountOpened: {
    1: (payload) => ({
      ...payload,
      kind: 'customer',
      flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
    }),
  },
};

function isEventType(type: string): type is LedgerEventType {
  return Object.hasOwn(CURRENT_SCHEMA_VERSION, type);
}

/** Brings an old event shape up to the current schema on read; stored items are never rewritten. */
export function upcast(raw: RawEvent): LedgerEvent {
  if (!isEventType(raw.type)) throw new UnknownEventTypeError(`Unknown event type '${raw.type}'`);
  const target = CURRENT_SCHEMA_VERSION[raw.type];
  let payload: Record<string, unknown> = { ...(raw.payload as Record<string, unknown>) };
  for (let version = raw.schemaVersion; version < target; version++) {
    const step = UPCASTERS[raw.type]?.[version];
    if (!step) throw new UnknownEventTypeError(`No upcaster for ${raw.type} v${version}`);
    payload = step(payload);
  }
  if (raw.schemaVersion > target) {
    throw new UnknownEventTypeError(`${raw.type} v${raw.schemaVersion} is newer than this code (v${target})`);
  }
  return { type: raw.type, payload } as LedgerEvent;
}
