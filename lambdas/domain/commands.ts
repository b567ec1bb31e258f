import { type AccountState, availableBalance, defaultFlags } from './account.ts';
import {
  AccountClosedError,
  AccountFrozenError,
  AccountNotEmptyError,
  AccountNotFoundError,
  CreditsExceedDebitsError,
  CurrencyMismatchError,
  InsufficientFundsError,
  InvalidStatusTransitionError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
  TransferNotFoundError,
} from './errors.ts';
import {
  type AccountFlags,
  type AccountKind,
  CURRENT_SCHEMA_VERSION,
  type EventMetadata,
  type LedgerEvent,
  type TransferLegs,
  type TransferPurpose,
} from './events.ts';
import { addMinor, assertPositiveAmount, currency as parseCurrency } from './money.ts';
import type { LedgerPorts, NewEvent } from './ports.ts';
import {
  ACCOUNT,
  type Change,
  change,
  commit,
  type Loaded,
  loadAccount,
  loadTransfer,
  TRANSFER,
} from './repository.ts';
import type { TransferState } from './transfer.ts';

/** Who asks, within which tenant, as part of which request: stamped on every event a command writes. */
export type CommandContext = EventMetadata;

/** The id of a tenant's internal settlement account for a currency: the other leg of deposits and withdrawals. */
export function settlementAccountId(currency: string): string {
  return `settlement-${currency}`;
}

function newEvent(ports: LedgerPorts, ctx: CommandContext, event: LedgerEvent): NewEvent {
  return {
    ...event,
    ...ctx,
    eventId: ports.ids.next('evt'),
    schemaVersion: CURRENT_SCHEMA_VERSION[event.type],
    occurredAt: ports.clock.now().toISOString(),
  } as NewEvent;
}

function existing(loaded: Loaded<AccountState>, accountId: string): AccountState {
  if (!loaded.state) throw new AccountNotFoundError(accountId);
  return loaded.state;
}

function assertOpen(account: AccountState): void {
  if (account.status === 'frozen') throw new AccountFrozenError(account.id);
  if (account.status === 'closed') throw new AccountClosedError(account.id);
}

export interface OpenAccountInput {
  readonly currency: string;
  readonly kind?: AccountKind;
  readonly flags?: Partial<AccountFlags>;
}

/** Opens an account in one currency; customer and merchant accounts cannot go below zero by default. */
export async function openAccount(ports: LedgerPorts, ctx: CommandContext, input: OpenAccountInput) {
  const code = parseCurrency(input.currency);
  const kind = input.kind ?? 'customer';
  const accountId = ports.ids.next('acct');
  const loaded: Loaded<AccountState> = {
    stream: { type: 'account', tenantId: ctx.tenantId, id: accountId },
    state: null,
    version: 0,
    snapshotVersion: 0,
  };
  const opened = change(ACCOUNT, loaded, [
    newEvent(ports, ctx, {
      type: 'AccountOpened',
      payload: { accountId, currency: code, kind, flags: { ...defaultFlags(kind), ...input.flags } },
    }),
  ]);
  await commit(ports, [opened]);
  return opened.after as AccountState;
}

/** Reads an account; another tenant's account does not exist. */
export async function getAccount(
  ports: LedgerPorts,
  tenantId: string,
  accountId: string,
): Promise<AccountState> {
  return existing(await loadAccount(ports, tenantId, accountId), accountId);
}

/** Freezes an open account: no new transfers, no posting of reservations; voids still release funds. */
export function freezeAccount(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { accountId: string; reason: string },
) {
  return changeStatus(ports, ctx, input.accountId, ['open'], 'frozen', {
    type: 'AccountFrozen',
    payload: { accountId: input.accountId, reason: input.reason },
  });
}

/** Lifts a freeze. */
export function unfreezeAccount(ports: LedgerPorts, ctx: CommandContext, input: { accountId: string }) {
  return changeStatus(ports, ctx, input.accountId, ['frozen'], 'open', {
    type: 'AccountUnfrozen',
    payload: { accountId: input.accountId },
  });
}

/** Closes an account that holds nothing: no pending amounts and posted debits equal to posted credits. */
export async function closeAccount(ports: LedgerPorts, ctx: CommandContext, input: { accountId: string }) {
  const account = await getAccount(ports, ctx.tenantId, input.accountId);
  const empty =
    account.debitsPending === 0 &&
    account.creditsPending === 0 &&
    account.debitsPosted === account.creditsPosted;
  if (account.status !== 'closed' && !empty) throw new AccountNotEmptyError(account.id);
  return changeStatus(ports, ctx, input.accountId, ['open', 'frozen'], 'closed', {
    type: 'AccountClosed',
    payload: { accountId: input.accountId },
  });
}

async function changeStatus(
  ports: LedgerPorts,
  ctx: CommandContext,
  accountId: string,
  from: readonly AccountState['status'][],
  to: AccountState['status'],
  event: LedgerEvent,
): Promise<AccountState> {
  const loaded = await loadAccount(ports, ctx.tenantId, accountId);
  const account = existing(loaded, accountId);
  if (!from.includes(account.status)) throw new InvalidStatusTransitionError(accountId, account.status, to);
  const changed = change(ACCOUNT, loaded, [newEvent(ports, ctx, event)]);
  await commit(ports, [changed]);
  return changed.after as AccountState;
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
}

/** Moves money between two accounts of one currency, posted at once or reserved (two-phase). */
export function createTransfer(ports: LedgerPorts, ctx: CommandContext, input: CreateTransferInput) {
  return transfer(ports, ctx, input, 'transfer');
}

export interface MoneyMovementInput {
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

/** Loads an account for a transfer leg; the tenant's settlement account opens itself on first use. */
async function loadLeg(
  ports: LedgerPorts,
  ctx: CommandContext,
  accountId: string,
  code: string,
): Promise<{ loaded: Loaded<AccountState>; opening: NewEvent[] }> {
  const loaded = await loadAccount(ports, ctx.tenantId, accountId);
  if (loaded.state || accountId !== settlementAccountId(code)) return { loaded, opening: [] };
  const opened = newEvent(ports, ctx, {
    type: 'AccountOpened',
    payload: { accountId, currency: code, kind: 'internal', flags: defaultFlags('internal') },
  });
  const after = change(ACCOUNT, loaded, [opened]).after;
  return { loaded: { ...loaded, state: after }, opening: [opened] };
}

function sameTransfer(
  existing: TransferState,
  input: CreateTransferInput,
  purpose: TransferPurpose,
): boolean {
  return (
    existing.purpose === purpose &&
    existing.debitAccountId === input.debitAccountId &&
    existing.creditAccountId === input.creditAccountId &&
    existing.amount === input.amount &&
    existing.currency === input.currency &&
    existing.twoPhase === (input.pending ?? false) &&
    existing.reference === (input.reference ?? null)
  );
}

async function transfer(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: CreateTransferInput,
  purpose: TransferPurpose,
): Promise<TransferState> {
  const code = parseCurrency(input.currency);
  const amount = assertPositiveAmount(input.amount);
  if (input.debitAccountId === input.creditAccountId) throw new SameAccountError(input.debitAccountId);

  const transferId = input.id ?? ports.ids.next('tr');
  const loadedTransfer = await loadTransfer(ports, ctx.tenantId, transferId);
  if (loadedTransfer.state) {
    if (sameTransfer(loadedTransfer.state, input, purpose)) return loadedTransfer.state;
    throw new TransferExistsWithDifferentFieldsError(transferId);
  }

  const [debit, credit] = await Promise.all([
    loadLeg(ports, ctx, input.debitAccountId, code),
    loadLeg(ports, ctx, input.creditAccountId, code),
  ]);
  const debitAccount = existing(debit.loaded, input.debitAccountId);
  const creditAccount = existing(credit.loaded, input.creditAccountId);
  for (const account of [debitAccount, creditAccount]) {
    if (account.currency !== code) throw new CurrencyMismatchError(account.id, account.currency, code);
    assertOpen(account);
  }
  assertWithinLimits(debitAccount, creditAccount, amount);

  const legs: TransferLegs = {
    transferId,
    debitAccountId: debitAccount.id,
    creditAccountId: creditAccount.id,
    currency: code,
  };
  const reference = input.reference ?? null;
  const event: LedgerEvent = input.pending
    ? {
        type: 'TransferPending',
        payload: { ...legs, amount, purpose, reference, expiresAt: expiry(ports, input.timeoutSeconds) },
      }
    : { type: 'TransferPosted', payload: { ...legs, amount, purpose, reference } };

  return recordOnAllStreams(ports, ctx, event, loadedTransfer, debit, credit);
}

/** Appends one transfer event to the transfer's stream and both accounts' streams, atomically. */
async function recordOnAllStreams(
  ports: LedgerPorts,
  ctx: CommandContext,
  event: LedgerEvent,
  transfer: Loaded<TransferState>,
  ...legs: readonly { loaded: Loaded<AccountState>; opening: readonly NewEvent[] }[]
): Promise<TransferState> {
  const transferChange = change(TRANSFER, transfer, [newEvent(ports, ctx, event)]);
  const accountChanges = legs.map((leg) =>
    change(ACCOUNT, leg.loaded, [...leg.opening, newEvent(ports, ctx, event)]),
  );
  await commit(ports, [transferChange, ...accountChanges] as Change<unknown>[]);
  return transferChange.after as TransferState;
}

function expiry(ports: LedgerPorts, timeoutSeconds: number | undefined): string | null {
  if (timeoutSeconds === undefined) return null;
  assertPositiveAmount(timeoutSeconds, 'timeoutSeconds');
  return new Date(ports.clock.now().getTime() + timeoutSeconds * 1000).toISOString();
}

/** Limits are checked when funds are reserved (or posted at once), never when a reservation is posted. */
function assertWithinLimits(debit: AccountState, credit: AccountState, amount: number): void {
  const debits = addMinor(addMinor(debit.debitsPending, debit.debitsPosted), amount);
  if (debit.flags.debitsMustNotExceedCredits && debits > debit.creditsPosted) {
    throw new InsufficientFundsError(debit.id, Math.max(0, availableBalance(debit)), amount);
  }
  const credits = addMinor(addMinor(credit.creditsPending, credit.creditsPosted), amount);
  if (credit.flags.creditsMustNotExceedDebits && credits > credit.debitsPosted) {
    throw new CreditsExceedDebitsError(credit.id);
  }
}

/** Reads a transfer; another tenant's transfer does not exist. */
export async function getTransfer(
  ports: LedgerPorts,
  tenantId: string,
  transferId: string,
): Promise<TransferState> {
  const loaded = await loadTransfer(ports, tenantId, transferId);
  if (!loaded.state) throw new TransferNotFoundError(transferId);
  return loaded.state;
}

/** Posts a pending transfer, in full or in part (`amount` ≤ the reserved amount); the rest is released. */
export async function postTransfer(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { transferId: string; amount?: number },
): Promise<TransferState> {
  return unlessExpired(
    await resolve(ports, ctx, input.transferId, (pending, accounts) => {
      const amount = assertPositiveAmount(input.amount ?? pending.amount);
      if (amount > pending.amount)
        throw new PostAmountExceedsPendingError(pending.id, pending.amount, amount);
      for (const account of accounts) assertOpen(account);
      return {
        type: 'PendingTransferPosted',
        payload: { ...legsOf(pending), pendingAmount: pending.amount, amount },
      };
    }),
  );
}

/** Voids a pending transfer: the whole reservation is released. Allowed on frozen accounts. */
export async function voidTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  return unlessExpired(
    await resolve(ports, ctx, input.transferId, (pending) => ({
      type: 'PendingTransferVoided',
      payload: { ...legsOf(pending), pendingAmount: pending.amount },
    })),
  );
}

/** Expires a pending transfer whose time has come, releasing the reservation (for a sweeper). */
export async function expireTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  const outcome = await resolve(ports, ctx, input.transferId, (pending) => {
    throw new TransferAlreadyResolvedError(pending.id, 'pending (not yet expired)');
  });
  return outcome.transfer;
}

function unlessExpired(outcome: Resolution): TransferState {
  const { transfer, expired } = outcome;
  if (expired) throw new PendingTransferExpiredError(transfer.id, transfer.expiresAt ?? '');
  return transfer;
}

function legsOf(t: TransferState): TransferLegs {
  return {
    transferId: t.id,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    currency: t.currency,
  };
}

interface Resolution {
  readonly transfer: TransferState;
  /** The reservation had passed its expiry, so it was expired rather than resolved as asked. */
  readonly expired: boolean;
}

/**
 * Resolves a pending transfer exactly once: the transfer stream's expected version makes a second
 * resolution a conflict, and the reload then sees it resolved. A reservation past its expiry is
 * expired instead, which releases the funds.
 */
async function resolve(
  ports: LedgerPorts,
  ctx: CommandContext,
  transferId: string,
  decide: (pending: TransferState, accounts: readonly AccountState[]) => LedgerEvent,
): Promise<Resolution> {
  const loadedTransfer = await loadTransfer(ports, ctx.tenantId, transferId);
  const pending = loadedTransfer.state;
  if (!pending) throw new TransferNotFoundError(transferId);
  if (pending.status !== 'pending') throw new TransferAlreadyResolvedError(transferId, pending.status);

  const [debit, credit] = await Promise.all([
    loadAccount(ports, ctx.tenantId, pending.debitAccountId),
    loadAccount(ports, ctx.tenantId, pending.creditAccountId),
  ]);
  const accounts = [existing(debit, pending.debitAccountId), existing(credit, pending.creditAccountId)];
  const expired = pending.expiresAt !== null && ports.clock.now().getTime() >= Date.parse(pending.expiresAt);
  const event: LedgerEvent = expired
    ? { type: 'PendingTransferExpired', payload: { ...legsOf(pending), pendingAmount: pending.amount } }
    : decide(pending, accounts);

  const legs = [debit, credit].map((loaded) => ({ loaded, opening: [] }));
  return { transfer: await recordOnAllStreams(ports, ctx, event, loadedTransfer, ...legs), expired };
}
