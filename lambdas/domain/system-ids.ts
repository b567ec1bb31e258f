/**
 * The ONE list of what the ledger runs itself: the per-tenant, per-currency system accounts (each
 * opens itself on first use, inside the unit of work that first moves money through it) and the
 * transfer ids it derives for payments and disputes. Clients may never name either.
 */
import { LedgerError } from './errors.ts';
import { splitStreamKey } from './events.ts';
import { accountOfStream, isShardStream } from './shards.ts';

/** The tenant's system accounts per currency, by role. */
export const SYSTEM_ACCOUNTS = {
  /** The other leg of deposits and withdrawals. */
  settlement: 'settlement',
  /** Holds payment funds between reserve and payout. */
  clearing: 'clearing',
  /** Where payment fees go. */
  fees: 'fees',
  /** Holds disputed funds while a chargeback is open. */
  disputes: 'disputes',
} as const;

export type SystemAccountRole = keyof typeof SYSTEM_ACCOUNTS;

/** The id of a tenant's system account of `role` in a currency, e.g. `clearing-USD`. */
export function systemAccountId(role: SystemAccountRole, currency: string): string {
  return `${SYSTEM_ACCOUNTS[role]}-${currency}`;
}

/** The tenant's settlement account for a currency: the other leg of deposits and withdrawals. */
export const settlementAccountId = (currency: string): string => systemAccountId('settlement', currency);
/** The tenant's clearing account for a currency: holds payment funds between reserve and payout. */
export const clearingAccountId = (currency: string): string => systemAccountId('clearing', currency);
/** The tenant's fee account for a currency: where payment fees go. */
export const feeAccountId = (currency: string): string => systemAccountId('fees', currency);
/** The tenant's internal account that holds disputed funds in one currency. */
export const disputesAccountId = (currency: string): string => systemAccountId('disputes', currency);

/**
 * Prefixes of the transfer ids the ledger derives: payments (`pay_…-reserve`, …), disputes and refunds
 * (`rf_…-hold`, `rf_…-return`).
 */
export const SYSTEM_TRANSFER_PREFIXES = { payment: 'pay_', dispute: 'dispute-', refund: 'rf_' } as const;

/** The hold's transfer id of a processor dispute: one per dispute. */
export function disputeHoldId(disputeId: string): string {
  return `${SYSTEM_TRANSFER_PREFIXES.dispute}${disputeId}`;
}

/** A payment's reserve: the two-phase transfer payer → clearing. */
export const reserveTransferId = (paymentId: string): string => `${paymentId}-reserve`;
/** A payment's payout: clearing → merchant, the amount minus the fee. */
export const payoutTransferId = (paymentId: string): string => `${paymentId}-payout`;
/** A payment's fee: clearing → the tenant's fee account. */
export const feeTransferId = (paymentId: string): string => `${paymentId}-fee`;
/** A refund's hold on the merchant's funds (merchant → clearing, two-phase). */
export const refundHoldTransferId = (refundId: string): string => `${refundId}-hold`;
/** A refund's payout to the payer (clearing → payer). */
export const refundReturnTransferId = (refundId: string): string => `${refundId}-return`;

const SYSTEM_ACCOUNT = new RegExp(`^(${Object.values(SYSTEM_ACCOUNTS).join('|')})-[A-Z]{3}$`);

/** Whether an id names a system account (of `currency`, when given): those open themselves. */
export function isSystemAccount(accountId: string, currency?: string): boolean {
  const match = SYSTEM_ACCOUNT.exec(accountId);
  return match !== null && (currency === undefined || accountId.endsWith(`-${currency}`));
}

/**
 * Whether every stream a conflict names (stream keys, `account#<tenant>#<id>`) is a system account's shard.
 * Such a conflict costs a retry nothing to decide again (no decision reads a system shard's balance), and
 * the shard moved by one commit: the retry need not back off.
 */
export function onlySystemShards(streamKeys: readonly string[]): boolean {
  return (
    streamKeys.length > 0 &&
    streamKeys.every((key) => {
      const stream = splitStreamKey(key);
      return (
        stream?.type === 'account' && isShardStream(stream.id) && isSystemAccount(accountOfStream(stream.id))
      );
    })
  );
}

function isSystemTransfer(transferId: string): boolean {
  return Object.values(SYSTEM_TRANSFER_PREFIXES).some((prefix) => transferId.startsWith(prefix));
}

export class SystemAccountError extends LedgerError {
  override readonly name = 'SystemAccountError';
  readonly kind = 'rejected' as const;
  readonly code = 'system-account';
  constructor(accountId: string, options?: ErrorOptions) {
    super(
      `Account ${accountId} is run by the ledger itself; it moves only through deposits, withdrawals, payments and disputes`,
      { accountId },
      options,
    );
  }
}

export class SystemTransferError extends LedgerError {
  override readonly name = 'SystemTransferError';
  readonly kind = 'rejected' as const;
  readonly code = 'system-transfer';
  constructor(transferId: string, options?: ErrorOptions) {
    super(
      `Transfer id ${transferId} belongs to a payment, a refund or a dispute; only the ledger creates or resolves it`,
      { transferId },
      options,
    );
  }
}

/**
 * An account a client may name in a money movement or a status change: one it opened, never a system
 * account nor one shard stream of a sharded account.
 */
export function clientAccountId(accountId: string): string {
  if (isSystemAccount(accountId) || isShardStream(accountId)) throw new SystemAccountError(accountId);
  return accountId;
}

/** A transfer id a client may create, post or void: never one derived for a payment, a refund or a dispute. */
export function clientTransferId(transferId: string): string {
  if (isSystemTransfer(transferId)) throw new SystemTransferError(transferId);
  return transferId;
}
