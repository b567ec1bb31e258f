/** Disputes' commands: a hold on the merchant's balance that a lost dispute posts and a won one voids. */
import type { AccountState } from '../domain/account.ts';
import { DisputeAlreadyResolvedError, DisputeNotOpenedError, merchantAccount } from '../domain/disputes.ts';
import { TransferAlreadyResolvedError, TransferNotFoundError } from '../domain/errors.ts';
import { currency as parseCurrency } from '../domain/money.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { disputeHoldId, disputesAccountId } from '../domain/system-ids.ts';
import type { TransferState } from '../domain/transfer.ts';
import { createTransfer, getTransfer, postTransfer, voidTransfer } from './commands.ts';
import { loadAccount, type StorePorts } from './repository.ts';
import type { CommandContext } from './unit-of-work.ts';

/** A merchant account of the tenant; anything else is a permanent rejection. */
export async function getMerchantAccount(
  ports: StorePorts,
  tenantId: string,
  accountId: string,
): Promise<AccountState> {
  return merchantAccount((await loadAccount(ports, tenantId, accountId)).state, accountId);
}

export interface OpenDisputeInput {
  readonly disputeId: string;
  readonly merchantAccountId: string;
  readonly amount: number;
  readonly currency: string;
}

/**
 * Holds the disputed amount on the merchant's balance (its available balance drops by it). The
 * tenant's `disputes-<CCY>` account opens itself in the same atomic write, like every system account.
 * The processor already took the money: the hold is a fact, booked even when the merchant is frozen or
 * holds less than the amount (its available balance goes negative; `fact: true` on the event).
 */
export async function openDispute(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: OpenDisputeInput,
): Promise<TransferState> {
  const code = parseCurrency(input.currency);
  await getMerchantAccount(ports, ctx.tenantId, input.merchantAccountId);
  // The same id and fields return the existing hold: a redelivered `dispute.opened` changes nothing.
  return createTransfer(ports, ctx, {
    id: disputeHoldId(input.disputeId),
    debitAccountId: input.merchantAccountId,
    creditAccountId: disputesAccountId(code),
    amount: input.amount,
    currency: code,
    pending: true,
    reference: `dispute:${input.disputeId}`,
    fact: true,
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
      ? await postTransfer(ports, ctx, { transferId: holdId, fact: true })
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
