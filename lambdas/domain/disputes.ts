/**
 * Card disputes (chargebacks) as ledger transfers. A dispute holds the disputed amount on the
 * merchant's balance (a pending transfer merchant → the tenant's `disputes-<CCY>` account); a lost
 * dispute posts the hold (the chargeback), a won one voids it. Transfer ids derive from the
 * processor's dispute id (`disputeHoldId` in system-ids.ts), so the same event moves money once.
 */
import { type AccountState, existingAccount } from './account.ts';
import { AwaitingPredecessorError, LedgerError } from './errors.ts';

/** The account named as the merchant is not a merchant account of this tenant. */
export class NotAMerchantAccountError extends LedgerError {
  override readonly name = 'NotAMerchantAccountError';
  readonly kind = 'rejected' as const;
  readonly code = 'not-a-merchant-account';
  constructor(accountId: string, kind: string, options?: ErrorOptions) {
    super(`Account ${accountId} is a ${kind} account, not a merchant account`, { accountId, kind }, options);
  }
}

/** A dispute was resolved the other way before (e.g. won after it was lost): nothing can change now. */
export class DisputeAlreadyResolvedError extends LedgerError {
  override readonly name = 'DisputeAlreadyResolvedError';
  readonly kind = 'rejected' as const;
  readonly code = 'dispute-already-resolved';
  constructor(disputeId: string, holdStatus: string, options?: ErrorOptions) {
    super(`Dispute ${disputeId}'s hold is already ${holdStatus}`, { disputeId, holdStatus }, options);
  }
}

/**
 * A dispute was closed before we saw it open (deliveries are unordered): the worker parks the event
 * until the opening arrives, and the DLQ catches a dispute that never opened.
 */
export class DisputeNotOpenedError extends AwaitingPredecessorError {
  override readonly name = 'DisputeNotOpenedError';
  readonly disputeId: string;
  constructor(disputeId: string, options?: ErrorOptions) {
    super(`Dispute ${disputeId} has no hold yet`, options);
    this.disputeId = disputeId;
  }
}

/** The account, if it is a merchant account; anything else is a permanent rejection. */
export function merchantAccount(state: AccountState | null, accountId: string): AccountState {
  const account = existingAccount(state, accountId);
  if (account.kind !== 'merchant') throw new NotAMerchantAccountError(accountId, account.kind);
  return account;
}
