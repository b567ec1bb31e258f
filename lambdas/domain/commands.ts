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
  type StoredEvent,
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

/** Stamps an event with the command's envelope: id, schema version, time and context. */
export function newEvent(ports: LedgerPorts, ctx: CommandContext, event: LedgerEvent): NewEvent {
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

/** The tenant's internal accounts per currency that open themselves on first use. */
const SELF_OPENING_PREFIXES = ['settlement', 'clearing', 'fees'] as const;

/** The id of a tenant's clearing account for a currency: holds payment funds between reserve and payout. */
export function clearingAccountId(currency: string): string {
  return `clearing-${currency}`;
}

/** The id of a tenant's fee account for a currency: where payment fees go. */
export function feeAccountId(currency: string): string {
  return `fees-${currency}`;
}

function opensItself(accountId: string, code: string): boolean {
  return SELF_OPENING_PREFIXES.some((prefix) => accountId === `${prefix}-${code}`);
}

interface Tracked<S> {
  readonly loaded: Loaded<S>;
  state: S | null;
  readonly events: NewEvent[];
}

/**
 * The streams one command decides on: each loaded once, changed in memory step by step (so a later
 * step sees what an earlier one did), and committed in one atomic append. A single transfer is one
 * step; linked transfers (a payment's settlement legs) are several steps over the same work.
 */
export class LedgerWork {
  readonly #ports: LedgerPorts;
  readonly #ctx: CommandContext;
  readonly #accounts = new Map<string, Promise<Tracked<AccountState>>>();
  readonly #transfers = new Map<string, Promise<Tracked<TransferState>>>();

  constructor(ports: LedgerPorts, ctx: CommandContext) {
    this.#ports = ports;
    this.#ctx = ctx;
  }

  /** An account of the work; a tenant internal account of `code` (settlement, clearing, fees) opens itself. */
  account(accountId: string, code?: string): Promise<Tracked<AccountState>> {
    let tracked = this.#accounts.get(accountId);
    if (!tracked) {
      tracked = loadAccount(this.#ports, this.#ctx.tenantId, accountId).then((loaded) => {
        const entry: Tracked<AccountState> = { loaded, state: loaded.state, events: [] };
        if (!loaded.state && code !== undefined && opensItself(accountId, code)) {
          this.#apply(ACCOUNT, entry, {
            type: 'AccountOpened',
            payload: { accountId, currency: code, kind: 'internal', flags: defaultFlags('internal') },
          });
        }
        return entry;
      });
      this.#accounts.set(accountId, tracked);
    }
    return tracked;
  }

  /** A transfer of the work, as it stands after the steps so far. */
  transfer(transferId: string): Promise<Tracked<TransferState>> {
    let tracked = this.#transfers.get(transferId);
    if (!tracked) {
      tracked = loadTransfer(this.#ports, this.#ctx.tenantId, transferId).then((loaded) => ({
        loaded,
        state: loaded.state,
        events: [],
      }));
      this.#transfers.set(transferId, tracked);
    }
    return tracked;
  }

  /** Records one transfer event on the transfer's stream and on both accounts' streams. */
  record(
    event: LedgerEvent,
    transfer: Tracked<TransferState>,
    ...accounts: readonly Tracked<AccountState>[]
  ): TransferState {
    this.#apply(TRANSFER, transfer, event);
    for (const account of accounts) this.#apply(ACCOUNT, account, event);
    return transfer.state as TransferState;
  }

  /** A new event with this command's envelope. */
  event(event: LedgerEvent): NewEvent {
    return newEvent(this.#ports, this.#ctx, event);
  }

  get clock() {
    return this.#ports.clock;
  }

  #apply<S>(
    kind: { reduce: (s: S | null, e: StoredEvent) => S | null },
    tracked: Tracked<S>,
    event: LedgerEvent,
  ) {
    const stamped = newEvent(this.#ports, this.#ctx, event);
    const version = tracked.loaded.version + tracked.events.length + 1;
    tracked.state = kind.reduce(tracked.state, { ...stamped, stream: tracked.loaded.stream, version });
    tracked.events.push(stamped);
  }

  /** The changes of every stream the steps touched. */
  async changes(): Promise<Change<unknown>[]> {
    const accounts = await Promise.all(this.#accounts.values());
    const transfers = await Promise.all(this.#transfers.values());
    return [
      ...transfers.filter((t) => t.events.length > 0).map((t) => change(TRANSFER, t.loaded, t.events)),
      ...accounts.filter((a) => a.events.length > 0).map((a) => change(ACCOUNT, a.loaded, a.events)),
    ] as Change<unknown>[];
  }

  /** Appends everything the steps recorded, plus `extra` changes (e.g. a payment's), in one atomic write. */
  async commit(extra: readonly Change<unknown>[] = []): Promise<void> {
    const changes = [...(await this.changes()), ...extra];
    if (changes.length > 0) await commit(this.#ports, changes);
  }
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
  const work = new LedgerWork(ports, ctx);
  const result = await openTransferStep(work, { ...input, id: input.id ?? ports.ids.next('tr') }, purpose);
  await work.commit();
  return result;
}

/**
 * Decides a new transfer against the work's current states and records it (nothing is written until
 * the work commits). A transfer with this id and the same fields is returned as it is (the client's id
 * is the command's identity); with other fields it is an error.
 */
export async function openTransferStep(
  work: LedgerWork,
  input: CreateTransferInput & { readonly id: string },
  purpose: TransferPurpose = 'transfer',
): Promise<TransferState> {
  const code = parseCurrency(input.currency);
  const amount = assertPositiveAmount(input.amount);
  if (input.debitAccountId === input.creditAccountId) throw new SameAccountError(input.debitAccountId);

  const transferId = input.id;
  const tracked = await work.transfer(transferId);
  if (tracked.state) {
    if (sameTransfer(tracked.state, input, purpose)) return tracked.state;
    throw new TransferExistsWithDifferentFieldsError(transferId);
  }

  const [debit, credit] = await Promise.all([
    work.account(input.debitAccountId, code),
    work.account(input.creditAccountId, code),
  ]);
  const debitAccount = existingState(debit.state, input.debitAccountId);
  const creditAccount = existingState(credit.state, input.creditAccountId);
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
        payload: {
          ...legs,
          amount,
          purpose,
          reference,
          expiresAt: expiry(work.clock, input.timeoutSeconds),
        },
      }
    : { type: 'TransferPosted', payload: { ...legs, amount, purpose, reference } };
  return work.record(event, tracked, debit, credit);
}

function existingState(state: AccountState | null, accountId: string): AccountState {
  if (!state) throw new AccountNotFoundError(accountId);
  return state;
}

function expiry(clock: LedgerPorts['clock'], timeoutSeconds: number | undefined): string | null {
  if (timeoutSeconds === undefined) return null;
  assertPositiveAmount(timeoutSeconds, 'timeoutSeconds');
  return new Date(clock.now().getTime() + timeoutSeconds * 1000).toISOString();
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

/** Decides how a pending transfer is resolved: the event to record (post or void). */
export type ResolveDecision = (pending: TransferState, accounts: readonly AccountState[]) => LedgerEvent;

/** Posting a reservation, in full or in part (`amount` ≤ the reserved amount); both accounts must be open. */
export function postDecision(amount?: number): ResolveDecision {
  return (pending, accounts) => {
    const posted = assertPositiveAmount(amount ?? pending.amount);
    if (posted > pending.amount) throw new PostAmountExceedsPendingError(pending.id, pending.amount, posted);
    for (const account of accounts) assertOpen(account);
    return {
      type: 'PendingTransferPosted',
      payload: { ...legsOf(pending), pendingAmount: pending.amount, amount: posted },
    };
  };
}

/** Voiding a reservation: allowed on frozen accounts, so frozen funds can still be released. */
export const voidDecision: ResolveDecision = (pending) => ({
  type: 'PendingTransferVoided',
  payload: { ...legsOf(pending), pendingAmount: pending.amount },
});

/** Posts a pending transfer, in full or in part (`amount` ≤ the reserved amount); the rest is released. */
export async function postTransfer(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { transferId: string; amount?: number },
): Promise<TransferState> {
  return unlessExpired(await resolve(ports, ctx, input.transferId, postDecision(input.amount)));
}

/** Voids a pending transfer: the whole reservation is released. Allowed on frozen accounts. */
export async function voidTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  return unlessExpired(await resolve(ports, ctx, input.transferId, voidDecision));
}

/** Expires a pending transfer whose time has come, releasing the reservation (for a sweeper). */
export async function expireTransfer(ports: LedgerPorts, ctx: CommandContext, input: { transferId: string }) {
  const outcome = await resolve(ports, ctx, input.transferId, (pending) => {
    throw new TransferAlreadyResolvedError(pending.id, 'pending (not yet expired)');
  });
  return outcome.transfer;
}

/** The resolved transfer, or PendingTransferExpiredError when it had expired instead. */
export function unlessExpired(outcome: Resolution): TransferState {
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

export interface Resolution {
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
  decide: ResolveDecision,
): Promise<Resolution> {
  const work = new LedgerWork(ports, ctx);
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
  const pending = tracked.state;
  if (!pending) throw new TransferNotFoundError(transferId);
  if (pending.status !== 'pending') throw new TransferAlreadyResolvedError(transferId, pending.status);

  const [debit, credit] = await Promise.all([
    work.account(pending.debitAccountId),
    work.account(pending.creditAccountId),
  ]);
  const accounts = [
    existingState(debit.state, pending.debitAccountId),
    existingState(credit.state, pending.creditAccountId),
  ];
  const expired = pending.expiresAt !== null && work.clock.now().getTime() >= Date.parse(pending.expiresAt);
  const event: LedgerEvent = expired
    ? { type: 'PendingTransferExpired', payload: { ...legsOf(pending), pendingAmount: pending.amount } }
    : decide(pending, accounts);
  return { transfer: work.record(event, tracked, debit, credit), expired };
}
