/**
 * Card disputes (chargebacks) as ledger transfers. A dispute holds the disputed amount on the
 * merchant's balance (a pending transfer merchant → the tenant's `disputes-<CCY>` account); a lost
 * dispute posts the hold (the chargeback), a won one voids it. Transfer ids derive from the
 * processor's dispute id, so applying the same processor event twice moves money once.
 */
import { type AccountState, defaultFlags } from './account.ts';
import { type CommandContext, createTransfer, getTransfer, postTransfer, voidTransfer } from './commands.ts';
import {
  AccountNotFoundError,
  LedgerError,
  TransferAlreadyResolvedError,
  TransferNotFoundError,
} from './errors.ts';
import { CURRENT_SCHEMA_VERSION } from './events.ts';
import { currency as parseCurrency } from './money.ts';
import type { LedgerPorts, NewEvent } from './ports.ts';
import { ACCOUNT, change, commit, loadAccount } from './repository.ts';
import type { TransferState } from './transfer.ts';

/** The tenant's internal account that holds disputed funds in one currency. */
export function disputesAccountId(currency: string): string {
  return `disputes-${currency}`;
}

/** The hold's transfer id: one per processor dispute. */
export function disputeHoldId(disputeId: string): string {
  return `dispute-${disputeId}`;
}

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
 * A dispute was closed before we saw it open (deliveries are unordered): retryable, never a
 * LedgerError, so the worker tries again later and the DLQ catches a dispute that never opened.
 */
export class DisputeNotOpenedError extends Error {
  override readonly name = 'DisputeNotOpenedError';
  readonly disputeId: string;
  constructor(disputeId: string, options?: ErrorOptions) {
    super(`Dispute ${disputeId} has no hold yet`, options);
    this.disputeId = disputeId;
  }
}

/** A merchant account of the tenant; anything else is a permanent rejection. */
export async function getMerchantAccount(
  ports: Pick<LedgerPorts, 'events' | 'snapshots'>,
  tenantId: string,
  accountId: string,
): Promise<AccountState> {
  const account = (await loadAccount(ports, tenantId, accountId)).state;
  if (!account) throw new AccountNotFoundError(accountId);
  if (account.kind !== 'merchant') throw new NotAMerchantAccountError(accountId, account.kind);
  return account;
}

/** Opens the tenant's `disputes-<CCY>` account unless it exists (a concurrent opener wins harmlessly). */
async function ensureDisputesAccount(
  ports: LedgerPorts,
  ctx: CommandContext,
  currency: string,
): Promise<void> {
  const accountId = disputesAccountId(currency);
  const loaded = await loadAccount(ports, ctx.tenantId, accountId);
  if (loaded.state) return;
  const opened: NewEvent = {
    type: 'AccountOpened',
    payload: { accountId, currency, kind: 'internal', flags: defaultFlags('internal') },
    ...ctx,
    eventId: ports.ids.next('evt'),
    schemaVersion: CURRENT_SCHEMA_VERSION.AccountOpened,
    occurredAt: ports.clock.now().toISOString(),
  };
  await commit(ports, [change(ACCOUNT, loaded, [opened])]);
}

export interface OpenDisputeInput {
  readonly disputeId: string;
  readonly merchantAccountId: string;
  readonly amount: number;
  readonly currency: string;
}

/** Holds the disputed amount on the merchant's balance (its available balance drops by it). */
export async function openDispute(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: OpenDisputeInput,
): Promise<TransferState> {
  const code = parseCurrency(input.currency);
  await getMerchantAccount(ports, ctx.tenantId, input.merchantAccountId);
  await ensureDisputesAccount(ports, ctx, code);
  // The same id and fields return the existing hold: a redelivered `dispute.opened` changes nothing.
  return createTransfer(ports, ctx, {
    id: disputeHoldId(input.disputeId),
    debitAccountId: input.merchantAccountId,
    creditAccountId: disputesAccountId(code),
    amount: input.amount,
    currency: code,
    pending: true,
    reference: `dispute:${input.disputeId}`,
  });
}

async function resolveDispute(
  ports: LedgerPorts,
  ctx: CommandContext,
  disputeId: string,
  wanted: 'posted' | 'voided',
): Promise<TransferState> {
  const holdId = disputeHoldId(disputeId);
  try {
    return wanted === 'posted'
      ? await postTransfer(ports, ctx, { transferId: holdId })
      : await voidTransfer(ports, ctx, { transferId: holdId });
  } catch (error) {
    if (error instanceof TransferNotFoundError) throw new DisputeNotOpenedError(disputeId, { cause: error });
    if (error instanceof TransferAlreadyResolvedError) {
      // Already resolved as asked: a redelivery. Resolved otherwise: a permanent rejection.
      if (error.status === wanted) return getTransfer(ports, ctx.tenantId, holdId);
      throw new DisputeAlreadyResolvedError(disputeId, error.status, { cause: error });
    }
    throw error;
  }
}

/** The merchant lost: the hold is posted, the chargeback leaves the merchant's balance for good. */
export function loseDispute(ports: LedgerPorts, ctx: CommandContext, input: { disputeId: string }) {
  return resolveDispute(ports, ctx, input.disputeId, 'posted');
}

/** The merchant won: the hold is voided and the funds are available again. */
export function winDispute(ports: LedgerPorts, ctx: CommandContext, input: { disputeId: string }) {
  return resolveDispute(ports, ctx, input.disputeId, 'voided');
}
