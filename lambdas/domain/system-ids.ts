import { LedgerError } from './errors.ts';

/** Accounts the ledger runs per tenant and currency; they move only through deposits, withdrawals, payments and disputes. */
const SYSTEM_ACCOUNT = /^(settlement|clearing|fees|disputes)-[A-Z]{3}$/;
/** Transfer ids the ledger derives for payments (`pay_…-reserve`, …) and disputes (`dispute-…`). */
const SYSTEM_TRANSFER = /^(pay_|dispute-)/;

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
      `Transfer id ${transferId} belongs to a payment or a dispute; only the ledger creates or resolves it`,
      { transferId },
      options,
    );
  }
}

/** An account a client may name in a money movement or a status change: one it opened, never a system account. */
export function clientAccountId(accountId: string): string {
  if (SYSTEM_ACCOUNT.test(accountId)) throw new SystemAccountError(accountId);
  return accountId;
}

/** A transfer id a client may create, post or void: never one derived for a payment or a dispute. */
export function clientTransferId(transferId: string): string {
  if (SYSTEM_TRANSFER.test(transferId)) throw new SystemTransferError(transferId);
  return transferId;
}
