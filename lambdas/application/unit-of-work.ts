import { ACCOUNT, type AccountState, decideAccount } from '../domain/account.ts';
import type { Aggregate } from '../domain/aggregate.ts';
import { ceilingFor, DEFAULT_AMOUNT_CEILINGS } from '../domain/ceilings.ts';
import {
  CURRENT_SCHEMA_VERSION,
  type EventMetadata,
  type LedgerEvent,
  type StoredEvent,
  type StreamType,
  type TransferEvent,
} from '../domain/events.ts';
import { PaymentNotFoundError } from '../domain/payments/errors.ts';
import { PAYMENT, type PaymentState } from '../domain/payments/payment.ts';
import type { LedgerPorts, NewEvent } from '../domain/ports.ts';
import {
  combineShards,
  DEFAULT_SHARD_LAYOUT,
  helpingSide,
  type LegSide,
  type ShardLayout,
  shardOf,
  shardStreamId,
  shardStreamIds,
} from '../domain/shards.ts';
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
  /**
   * Events already folded into `state` but appended only with the first event recorded on the stream
   * (a system shard's opening): a stream the work only read is not written.
   */
  opening?: NewEvent[];
}

/** Where one side of a transfer lands, and the account state the decision reads for that side. */
export interface Leg {
  readonly stream: Tracked<AccountState>;
  readonly given: AccountState | null;
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

  /** The largest amount one new transfer of the work's tenant may move. */
  get ceiling(): number {
    return ceilingFor(this.#ports.ceilings ?? DEFAULT_AMOUNT_CEILINGS, this.#ctx.tenantId);
  }

  /** The shard layout of the work's ports. */
  get layout(): ShardLayout {
    return this.#ports.shards ?? DEFAULT_SHARD_LAYOUT;
  }

  /** An account's main stream (a plain or hot client account); system accounts live on shards (see `leg`). */
  account(accountId: string): Promise<Tracked<AccountState>> {
    return this.#stream(accountId);
  }

  #stream(streamId: string): Promise<Tracked<AccountState>> {
    return this.#tracked(this.#accounts, streamId, async () =>
      track(await loadAccount(this.#ports, this.#ctx.tenantId, streamId)),
    );
  }

  /** Shard `k` of a system account; on first use, in currency `code`, it opens itself inside the work. */
  #systemShard(accountId: string, shard: number, code: string | undefined): Promise<Tracked<AccountState>> {
    const streamId = shardStreamId(accountId, shard);
    return this.#tracked(this.#accounts, streamId, async () => {
      const entry = track(await loadAccount(this.#ports, this.#ctx.tenantId, streamId));
      if (!entry.state && code !== undefined && isSystemAccount(accountId, code)) {
        const command = { type: 'OpenAccount', accountId, currency: code, kind: 'internal' } as const;
        for (const event of decideAccount(command, null)) this.record(ACCOUNT, entry, event);
        // It opens only if a leg lands on it.
        entry.opening = entry.events.splice(0);
      }
      // Why its shards need no coordination: no leg on one can break a limit.
      if (entry.state && helpingSide(entry.state) !== null) {
        throw new Error(`System account ${accountId} carries a limit; its shards would need coordination`);
      }
      return entry;
    });
  }

  /**
   * Where one side of a transfer lands, and the account state its decision reads: a system account's
   * shard (it opens itself in currency `code`); a hot account's replica for the side that can only help
   * its limit; otherwise the main stream, whose decision reads the main stream plus every replica (the
   * replicas are read, not locked: what lands on them can only help).
   */
  async leg(accountId: string, side: LegSide, transferId: string, code?: string): Promise<Leg> {
    if (isSystemAccount(accountId)) {
      const stream = await this.#systemShard(accountId, shardOf(transferId, this.layout.systemShards), code);
      return { stream, given: stream.state };
    }
    const known = this.#ports.hotAccounts?.get(`${this.#ctx.tenantId}#${accountId}`);
    if (known !== undefined) {
      // A replica carries the account's opening and lifecycle: enough to decide the side that helps.
      const replica = await this.#stream(shardStreamId(accountId, shardOf(transferId, known)));
      if (replica.state && helpingSide(replica.state) === side)
        return { stream: replica, given: replica.state };
    }
    const main = await this.account(accountId);
    if (!main.state || main.state.shards === 0) return { stream: main, given: main.state };
    this.#remember(accountId, main.state.shards);
    if (helpingSide(main.state) === side) {
      const replica = await this.#stream(shardStreamId(accountId, shardOf(transferId, main.state.shards)));
      return { stream: replica, given: replica.state };
    }
    return { stream: main, given: await this.whole(accountId) };
  }

  /** Remembers a hot account's replica count for the container (bounded: forgets all past 10,000). */
  #remember(accountId: string, shards: number): void {
    const known = this.#ports.hotAccounts;
    if (!known) return;
    if (known.size >= 10_000) known.clear();
    known.set(`${this.#ctx.tenantId}#${accountId}`, shards);
  }

  /** An account's streams: the main one, then a hot account's replicas (every one of them). */
  async streams(accountId: string): Promise<Tracked<AccountState>[]> {
    const main = await this.account(accountId);
    const shards = main.state?.shards ?? 0;
    const replicas = shardStreamIds(accountId, shards).map((id) => this.#stream(id));
    return [main, ...(await Promise.all(replicas))];
  }

  /** A client account as the sum of its streams, as the steps so far left them. */
  async whole(accountId: string): Promise<AccountState | null> {
    const streams = await this.streams(accountId);
    if (!streams[0]?.state) return null;
    return combineShards(streams.flatMap((s) => s.state ?? []));
  }

  /** A new account stream (its id was just generated, so there is nothing to load). */
  newAccount(accountId: string): Promise<Tracked<AccountState>> {
    return this.#tracked(this.#accounts, accountId, async () =>
      this.#unread<AccountState>(ACCOUNT, accountId),
    );
  }

  /**
   * A transfer presumed new, not read: its first event is appended expecting version 0, so an existing
   * transfer with this id makes the commit a conflict that names its stream (see `transfer` in commands.ts).
   */
  newTransfer(transferId: string): Promise<Tracked<TransferState>> {
    return this.#tracked(this.#transfers, transferId, async () =>
      this.#unread<TransferState>(TRANSFER, transferId),
    );
  }

  #unread<S>(aggregate: { readonly streamType: StreamType }, id: string): Tracked<S> {
    const stream = { type: aggregate.streamType, tenantId: this.#ctx.tenantId, id };
    return track<S>({ stream, state: null, version: 0, snapshotVersion: 0 });
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
    if (tracked.opening) tracked.events.push(...tracked.opening.splice(0));
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

  /**
   * Appends everything the steps recorded in one atomic write; a work that recorded nothing writes
   * nothing. Answers the changes it appended.
   */
  async commit(): Promise<Change[]> {
    const changes = await this.changes();
    if (changes.length > 0) await commit(this.#ports, changes);
    return changes;
  }
}

function exists<S>(tracked: Tracked<S>): tracked is TrackedExisting<S> {
  return tracked.state !== null;
}
