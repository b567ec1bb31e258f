/** The ledger's commands: load the streams a decision reads, decide (pure, in the domain), commit. */
import {
  ACCOUNT,
  type AccountCommand,
  type AccountState,
  decideAccount,
  defaultFlags,
  existingAccount,
} from '../domain/account.ts';
import { ConcurrencyConflictError, LedgerError, TransferNotFoundError } from '../domain/errors.ts';
import { type AccountFlags, type AccountKind, streamKey, type TransferPurpose } from '../domain/events.ts';
import { currency as parseCurrency } from '../domain/money.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { combineShards, helpingSide, shardStreamIds } from '../domain/shards.ts';
import { settlementAccountId } from '../domain/system-ids.ts';
import type { TransferState } from '../domain/transfer.ts';
import {
  decideOpenTransfer,
  decideResolution,
  expireOnlyDecision,
  type OpenTransferCommand,
  pendingTransfer,
  postDecision,
  type ResolveDecision,
  unlessExpired,
  validateTransfer,
  voidDecision,
} from '../domain/transfer-decisions.ts';
import { loadTransfer } from './repository.ts';
import { type CommandContext, LedgerWork, type Tracked } from './unit-of-work.ts';

export interface OpenAccountInput {
  readonly currency: string;
  readonly kind?: AccountKind;
  readonly flags?: Partial<AccountFlags>;
  /** Replicas for a hot account (see shards.ts). @default the layout's `hotShards` for a merchant, else 0 */
  readonly shards?: number;
}

/**
 * Decides an account command on the whole account and records its events on every stream of it (a hot
 * account's replicas carry its lifecycle too, so a credit decided on one sees the account's status).
 */
async function runAccountCommand(
  work: LedgerWork,
  streams: readonly Tracked<AccountState>[],
  command: AccountCommand,
): Promise<AccountState> {
  const whole = combineShards(streams.flatMap((s) => s.state ?? []));
  for (const event of decideAccount(command, whole)) {
    for (const stream of streams) work.record(ACCOUNT, stream, event);
  }
  await work.commit();
  return existingAccount(combineShards(streams.flatMap((s) => s.state ?? [])), command.accountId);
}

/** Opens an account in one currency; customer and merchant accounts cannot go below zero by default. */
export async function openAccount(ports: LedgerPorts, ctx: CommandContext, input: OpenAccountInput) {
  const currency = parseCurrency(input.currency);
  const accountId = ports.ids.next('acct');
  const work = new LedgerWork(ports, ctx);
  const kind = input.kind ?? 'customer';
  // Merchants are hot: every payment credits them (see shards.ts). Replicas serve only an account with
  // one limited side: with both or neither limited, every leg lands on the main stream.
  const flags = { ...defaultFlags(kind), ...input.flags };
  const wanted = input.shards ?? (kind === 'merchant' ? work.layout.hotShards : 0);
  const shards = helpingSide({ flags }) === null ? 0 : wanted;
  const command: AccountCommand = {
    type: 'OpenAccount',
    accountId,
    currency,
    kind,
    flags: input.flags,
    shards,
  };
  const streams = [accountId, ...shardStreamIds(accountId, shards)];
  return runAccountCommand(work, await Promise.all(streams.map((id) => work.newAccount(id))), command);
}

async function changeAccount(ports: LedgerPorts, ctx: CommandContext, command: AccountCommand) {
  const work = new LedgerWork(ports, ctx);
  return runAccountCommand(work, await work.streams(command.accountId), command);
}

/** Freezes an open account: no new transfers, no posting of reservations; voids still release funds. */
export function freezeAccount(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { accountId: string; reason: string },
) {
  return changeAccount(ports, ctx, { type: 'FreezeAccount', ...input });
}

/** Lifts a freeze. */
export function unfreezeAccount(ports: LedgerPorts, ctx: CommandContext, input: { accountId: string }) {
  return changeAccount(ports, ctx, { type: 'UnfreezeAccount', accountId: input.accountId });
}

/** Closes an account that holds nothing: no pending amounts and posted debits equal to posted credits. */
export function closeAccount(ports: LedgerPorts, ctx: CommandContext, input: { accountId: string }) {
  return changeAccount(ports, ctx, { type: 'CloseAccount', accountId: input.accountId });
}

export interface CreateTransferInput {
  /** The client's id for the transfer: retrying with the same id and fields returns the first result. */
  readonly id?: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: number;
  readonly currency: string;
  /** Two-phase: reserve now, then post, void or let expire. */
  readonly pending?: boolean;
  /** For a pending transfer: it expires this many seconds after it was created. */
  readonly timeoutSeconds?: number;
  readonly reference?: string | null;
  /** A fact from outside, booked whatever the accounts' status and limits (see `OpenTransferCommand.fact`). */
  readonly fact?: boolean;
}

/** Moves money between two accounts of one currency, posted at once or reserved (two-phase). */
export function createTransfer(ports: LedgerPorts, ctx: CommandContext, input: CreateTransferInput) {
  return transfer(ports, ctx, input, 'transfer');
}

export interface MoneyMovementInput {
  /** The command's identity (see `CreateTransferInput.id`); minted when absent. */
  readonly id?: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly reference?: string | null;
}

/** Money in: debits the tenant's settlement account, credits the customer's. */
export function deposit(ports: LedgerPorts, ctx: CommandContext, input: MoneyMovementInput) {
  const { accountId, ...rest } = input;
  const legs = { debitAccountId: settlementAccountId(input.currency), creditAccountId: accountId };
  return transfer(ports, ctx, { ...rest, ...legs }, 'deposit');
}

/** Money out: debits the customer's account, credits the tenant's settlement account. */
export function withdraw(ports: LedgerPorts, ctx: CommandContext, input: MoneyMovementInput) {
  const { accountId, ...rest } = input;
  const legs = { debitAccountId: accountId, creditAccountId: settlementAccountId(input.currency) };
  return transfer(ports, ctx, { ...rest, ...legs }, 'withdrawal');
}

/**
 * A new transfer. Its id is the command's identity and nearly always new (minted, or the client's key), so
 * its stream is not read: it is created expecting version 0, and only when that fails (the append's
 * conflict names it) or the decision refuses is it read. A transfer already there is then the answer
 * (same fields) or the exists-with-different-fields error, as if it had been loaded first; a refusal of a
 * transfer that does not exist, or a conflict on the legs only, stands (the retry loop decides again).
 */
async function transfer(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: CreateTransferInput,
  purpose: TransferPurpose,
): Promise<TransferState> {
  const work = new LedgerWork(ports, ctx);
  const command = openTransferCommand(work, { ...input, id: input.id ?? ports.ids.next('tr') }, purpose);
  const own = streamKey((await work.newTransfer(command.transferId)).loaded.stream);
  try {
    const result = await decideTransferStep(work, command);
    await work.commit();
    return result;
  } catch (error) {
    const mayExist =
      error instanceof ConcurrencyConflictError ? error.streams.includes(own) : error instanceof LedgerError;
    if (!mayExist) throw error;
    const existing = (await loadTransfer(ports, ctx.tenantId, command.transferId)).state;
    if (!existing) throw error;
    return replayed(command, existing);
  }
}

/** The answer to a transfer command whose transfer exists: the transfer, when its fields are the command's. */
function replayed(command: OpenTransferCommand, existing: TransferState): TransferState {
  decideOpenTransfer(command, { transfer: existing, debit: null, credit: null });
  return existing;
}

function recorded(tracked: { readonly state: TransferState | null }, transferId: string): TransferState {
  if (!tracked.state) throw new TransferNotFoundError(transferId);
  return tracked.state;
}

/** The command a transfer input makes at the work's time and ceiling, validated. */
function openTransferCommand(
  work: LedgerWork,
  input: CreateTransferInput & { readonly id: string },
  purpose: TransferPurpose,
): OpenTransferCommand {
  const command: OpenTransferCommand = {
    transferId: input.id,
    debitAccountId: input.debitAccountId,
    creditAccountId: input.creditAccountId,
    amount: input.amount,
    currency: input.currency,
    pending: input.pending ?? false,
    timeoutSeconds: input.timeoutSeconds,
    reference: input.reference ?? null,
    purpose,
    now: work.now(),
    fact: input.fact ?? false,
    ceiling: work.ceiling,
  };
  validateTransfer(command);
  return command;
}

/**
 * Decides a new transfer against the work's current states and records it (nothing is written until
 * the work commits). A transfer with this id and the same fields is returned as it is (the client's id
 * is the command's identity); with other fields it is an error.
 */
export function openTransferStep(
  work: LedgerWork,
  input: CreateTransferInput & { readonly id: string },
  purpose: TransferPurpose = 'transfer',
): Promise<TransferState> {
  return decideTransferStep(work, openTransferCommand(work, input, purpose));
}

async function decideTransferStep(work: LedgerWork, command: OpenTransferCommand): Promise<TransferState> {
  // Read the transfer and both legs at once: a new transfer (the usual case) then costs one round of reads.
  const [tracked, debit, credit] = await Promise.all([
    work.transfer(command.transferId),
    work.leg(command.debitAccountId, 'debit', command.transferId, command.currency),
    work.leg(command.creditAccountId, 'credit', command.transferId, command.currency),
  ]);
  if (tracked.state) return replayed(command, tracked.state);
  const given = { transfer: null, debit: debit.given, credit: credit.given };
  for (const event of decideOpenTransfer(command, given)) {
    work.recordTransfer(event, tracked, debit.stream, credit.stream);
  }
  return recorded(tracked, command.transferId);
}

/** Reads a transfer; another tenant's transfer does not exist. */
export async function getTransfer(
  ports: LedgerPorts,
  tenantId: string,
  transferId: string,
): Promise<TransferState> {
  return recorded(await loadTransfer(ports, tenantId, transferId), transferId);
}

/**
 * How a post or a void recognises its own resolution, already there (a retry after a crash between the
 * ledger commit and the idempotency record, or a lost response): by kind and amount. A two-phase transfer
 * already posted for the amount asked (the whole reservation when none is given) answers a post; one
 * already voided answers a void. Anything else (a post after a void, a void after a post, a post of
 * another amount, an expired or single-phase transfer) stays TransferAlreadyResolvedError. No command id
 * is recorded on the event, so two clients asking for the same resolution get the same answer: both asked
 * for the state the transfer is in, and no money moves twice.
 */
export function isOwnResolution(
  transfer: TransferState,
  asked: { readonly kind: 'post'; readonly amount?: number | undefined } | { readonly kind: 'void' },
): boolean {
  if (!transfer.twoPhase) return false;
  if (asked.kind === 'void') return transfer.status === 'voided';
  return transfer.status === 'posted' && transfer.postedAmount === (asked.amount ?? transfer.amount);
}

/** Posts a pending transfer, in full or in part (`amount` ≤ the reserved amount); the rest is released. */
export async function postTransfer(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { transferId: string; amount?: number; fact?: boolean },
): Promise<TransferState> {
  const own = (t: TransferState) => isOwnResolution(t, { kind: 'post', amount: input.amount });
  const decide = postDecision(input.amount, { fact: input.fact ?? false });
  return unlessExpired(await resolve(ports, ctx, input.transferId, decide, own));
}

/** Voids a pending transfer: the whole reservation is released. Allowed on frozen accounts. */
export async function voidTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  const own = (t: TransferState) => isOwnResolution(t, { kind: 'void' });
  return unlessExpired(await resolve(ports, ctx, input.transferId, voidDecision, own));
}

/** Expires a pending transfer whose time has come, releasing the reservation (for a sweeper). */
export async function expireTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  return (await resolve(ports, ctx, input.transferId, expireOnlyDecision)).transfer;
}

export interface Resolution {
  readonly transfer: TransferState;
  /** The reservation had passed its expiry, so it was expired rather than resolved as asked. */
  readonly expired: boolean;
}

/**
 * Resolves a pending transfer exactly once: the transfer stream's expected version makes a second
 * resolution a conflict, and the reload then sees it resolved. A reservation past its expiry is
 * expired instead, which releases the funds. A transfer that already carries this command's own
 * resolution (`isOwn`, see `isOwnResolution`) is returned as it is, writing nothing.
 */
async function resolve(
  ports: LedgerPorts,
  ctx: CommandContext,
  transferId: string,
  decide: ResolveDecision,
  isOwn: (transfer: TransferState) => boolean = () => false,
): Promise<Resolution> {
  const work = new LedgerWork(ports, ctx);
  const existing = (await work.transfer(transferId)).state;
  if (existing && isOwn(existing)) return { transfer: existing, expired: false };
  const resolution = await resolveStep(work, transferId, decide);
  await work.commit();
  return resolution;
}

/** Decides the resolution of a pending transfer against the work's current states and records it. */
export async function resolveStep(
  work: LedgerWork,
  transferId: string,
  decide: ResolveDecision,
): Promise<Resolution> {
  const tracked = await work.transfer(transferId);
  const pending = pendingTransfer(transferId, tracked.state);
  const [debit, credit] = await Promise.all([
    // With the currency: after N was raised, a system leg may land on a shard that must open first.
    work.leg(pending.debitAccountId, 'debit', transferId, pending.currency),
    work.leg(pending.creditAccountId, 'credit', transferId, pending.currency),
  ]);
  const given = { transfer: pending, debit: debit.given, credit: credit.given, now: work.now() };
  const { event, expired } = decideResolution(given, transferId, decide);
  return { transfer: work.recordTransfer(event, tracked, debit.stream, credit.stream), expired };
}
