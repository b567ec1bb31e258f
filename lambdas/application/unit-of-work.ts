import { ACCOUNT, type AccountState, decideAccount } from '../domain/account.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import {
  CURRENT_SCHEMA_VERSION,
  type EventMetadata,
  type LedgerEvent,
  type StoredEvent,
  type TransferEvent,
} from '../domain/events.ts';
import { PaymentNotFoundError } from '../domain/payments/errors.ts';
import { PAYMENT, type PaymentState } from '../domain/payments/payment.ts';
import type { LedgerPorts, NewEvent } from '../domain/ports.ts';
import { isSystemAccount } from '../domain/system-ids.ts';
import { TRANSFER, type TransferState } from '../domain/transfer.ts';
import {
  type Change,
  change,
  commit,
  type Loaded,
  loadAccount,
  loadPayment,
  loadTransfer,
} from './repository.ts';

/** Who asks, within which tenant, as part of which request: stamped on every event a command writes. */
export type CommandContext = EventMetadata;

/** An event with the envelope the store needs but does not derive itself. */
export type Stamped<E extends LedgerEvent> = E &
  EventMetadata & {
    readonly eventId: string;
    readonly schemaVersion: number;
    readonly occurredAt: string;
  };

/** Stamps an event with the command's envelope: id, schema version, time (now, unless given) and context. */
export function newEvent<E extends LedgerEvent>(
  ports: LedgerPorts,
  ctx: CommandContext,
  event: E,
  occurredAt?: string,
): Stamped<E> {
  const envelope = {
    ...ctx,
    eventId: ports.ids.next('evt'),
    schemaVersion: CURRENT_SCHEMA_VERSION[event.type],
    occurredAt: occurredAt ?? ports.clock.now().toISOString(),
  };
  return { ...event, ...envelope };
}

/** One stream of the work: as loaded, as it stands after the steps so far, and what the steps added. */
export interface Tracked<S> {
  readonly loaded: Loaded<S>;
  state: S | null;
  readonly events: NewEvent[];
}

/** A tracked stream that exists (its opening event is in). */
export type TrackedExisting<S> = Tracked<S> & { state: S };

function track<S>(loaded: Loaded<S>): Tracked<S> {
  return { loaded, state: loaded.state, events: [] };
}

/**
 * The streams one command decides on: each loaded once, changed in memory step by step (so a later
 * step sees what an earlier one did), and committed in one atomic append. A single transfer is one
 * step; linked transfers (a payment's settlement legs) are several steps over the same work. A
 * system account (settlement, clearing, fees, disputes) the work touches opens itself inside it.
 */
export class LedgerWork {
  readonly #ports: LedgerPorts;
  readonly #ctx: CommandContext;
  readonly #accounts = new Map<string, Promise<Tracked<AccountState>>>();
  readonly #transfers = new Map<string, Promise<Tracked<TransferState>>>();
  readonly #payments = new Map<string, Promise<Tracked<PaymentState>>>();

  constructor(ports: LedgerPorts, ctx: CommandContext) {
    this.#ports = ports;
    this.#ctx = ctx;
  }

  /** An account of the work; a system account of currency `code` opens itself. */
  account(accountId: string, code?: string): Promise<Tracked<AccountState>> {
    return this.#tracked(this.#accounts, accountId, async () => {
      const entry = track(await loadAccount(this.#ports, this.#ctx.tenantId, accountId));
      if (!entry.state && code !== undefined && isSystemAccount(accountId, code)) {
        const command = { type: 'OpenAccount', accountId, currency: code, kind: 'internal' } as const;
        for (const event of decideAccount(command, null)) this.record(ACCOUNT, entry, event);
      }
      return entry;
    });
  }

  /** A new account stream (its id was just generated, so there is nothing to load). */
  newAccount(accountId: string): Promise<Tracked<AccountState>> {
    const stream = { type: ACCOUNT.streamType, tenantId: this.#ctx.tenantId, id: accountId };
    return this.#tracked(this.#accounts, accountId, async () =>
      track<AccountState>({ stream, state: null, version: 0, snapshotVersion: 0 }),
    );
  }

  /** A transfer of the work, as it stands after the steps so far. */
  transfer(transferId: string): Promise<Tracked<TransferState>> {
    return this.#tracked(this.#transfers, transferId, async () =>
      track(await loadTransfer(this.#ports, this.#ctx.tenantId, transferId)),
    );
  }

  /** A payment stream of the work, which may not exist yet. */
  paymentStream(paymentId: string): Promise<Tracked<PaymentState>> {
    return this.#tracked(this.#payments, paymentId, async () =>
      track(await loadPayment(this.#ports, this.#ctx.tenantId, paymentId)),
    );
  }

  /** A payment of the work; one that does not exist is PaymentNotFoundError. */
  async payment(paymentId: string): Promise<TrackedExisting<PaymentState>> {
    const tracked = await this.paymentStream(paymentId);
    if (!exists(tracked)) throw new PaymentNotFoundError(paymentId);
    return tracked;
  }

  #tracked<S>(
    map: Map<string, Promise<Tracked<S>>>,
    id: string,
    open: () => Promise<Tracked<S>>,
  ): Promise<Tracked<S>> {
    let tracked = map.get(id);
    if (!tracked) {
      tracked = open();
      map.set(id, tracked);
    }
    return tracked;
  }

  /** Records one event on a tracked stream and returns the stream's new state. */
  record<S, E extends LedgerEvent>(
    aggregate: Aggregate<S, E>,
    tracked: Tracked<S>,
    event: E,
    occurredAt?: string,
  ): S {
    const stamped = newEvent(this.#ports, this.#ctx, event, occurredAt);
    const version = tracked.loaded.version + tracked.events.length + 1;
    const stored: StoredEvent<E> = { ...stamped, stream: tracked.loaded.stream, version };
    const next = aggregate.evolve(tracked.state, stored);
    tracked.state = next;
    tracked.events.push(stamped);
    return next;
  }

  /**
   * Records one transfer event on the transfer's stream and on both accounts' streams, at one instant:
   * replaying an account up to the transfer's time must include the transfer's leg.
   */
  recordTransfer(
    event: TransferEvent,
    transfer: Tracked<TransferState>,
    ...accounts: readonly Tracked<AccountState>[]
  ): TransferState {
    const at = this.#ports.clock.now().toISOString();
    const state = this.record(TRANSFER, transfer, event, at);
    for (const account of accounts) this.record(ACCOUNT, account, event, at);
    return state;
  }

  /** The command's time, from the clock port. */
  now(): Date {
    return this.#ports.clock.now();
  }

  /** The changes of every stream the steps touched: transfers, then accounts, then payments. */
  async changes(): Promise<Change[]> {
    const changed = <S>(aggregate: Aggregate<S, never>, all: Tracked<S>[]) =>
      all.filter((t) => t.events.length > 0).map((t) => change(aggregate, t.loaded, t.events, t.state));
    return [
      ...changed(TRANSFER, await Promise.all(this.#transfers.values())),
      ...changed(ACCOUNT, await Promise.all(this.#accounts.values())),
      ...changed(PAYMENT, await Promise.all(this.#payments.values())),
    ];
  }

  /** Appends everything the steps recorded in one atomic write; a work that recorded nothing writes nothing. */
  async commit(): Promise<void> {
    const changes = await this.changes();
    if (changes.length > 0) await commit(this.#ports, changes);
  }
}

function exists<S>(tracked: Tracked<S>): tracked is TrackedExisting<S> {
  return tracked.state !== null;
}
