import { type AccountState, availableBalance } from '../../domain/account.ts';
import type { TransferState } from '../../domain/transfer.ts';

/** The public shape of an account. */
export function presentAccount(account: AccountState) {
  return {
    id: account.id,
    currency: account.currency,
    kind: account.kind,
    status: account.status,
    flags: account.flags,
    balances: {
      debitsPending: account.debitsPending,
      debitsPosted: account.debitsPosted,
      creditsPending: account.creditsPending,
      creditsPosted: account.creditsPosted,
      available: availableBalance(account),
    },
    version: account.version,
    createdAt: account.createdAt,
  };
}

/** The public shape of a transfer. */
export function presentTransfer(transfer: TransferState) {
  return {
    id: transfer.id,
    status: transfer.status,
    purpose: transfer.purpose,
    pending: transfer.twoPhase,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    postedAmount: transfer.postedAmount,
    currency: transfer.currency,
    reference: transfer.reference,
    expiresAt: transfer.expiresAt,
    createdAt: transfer.createdAt,
    resolvedAt: transfer.resolvedAt,
  };
}
