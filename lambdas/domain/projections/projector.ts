import { type StoredEvent, streamKey } from '../events.ts';
import type { EventStore } from '../ports.ts';
import { accountHistory } from './account-history.ts';
import { accountView } from './account-view.ts';
import { dailyTotals } from './daily-totals.ts';
import { paymentView } from './payment-view.ts';
import {
  type Guard,
  type GuardedCommit,
  GuardMovedError,
  type Projection,
  type ReadModelName,
  type ReadModelStore,
  type RowChange,
  type RowKey,
} from './read-model.ts';
import { transferView } from './transfer-view.ts';

/** Every read model the projector keeps; each has its own guard per stream. */
export const PROJECTIONS: readonly Projection<unknown>[] = [
  accountView,
  accountHistory,
  transferView,
  dailyTotals,
  paymentView,
];

/** The projections of one read model by name. */
export function projectionOf(model: ReadModelName): Projection<unknown> {
  const found = PROJECTIONS.find((p) => p.model === model);
  if (!found) throw new Error(`Unknown read model ${model}`);
  return found;
}

/** A guard that moved under us this many times in a row is a live fight, not a race: fail the record. */
const MAX_GUARD_ATTEMPTS = 8;

export interface ProjectorPorts {
  /** Where missing events are read from when a delivery skipped some (a gap). */
  readonly events: Pick<EventStore, 'readStream'>;
  readonly readModels: ReadModelStore;
  /**
   * Waits before attempt `attempt` (2, 3, …) after a guard moved or a shared row was held by another
   * transaction (daily totals are one row per tenant, currency and day); the caller brings the jitter.
   * @default no wait
   */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/** Where a stream failed in a batch: the first version that did not apply, and why. */
export interface StreamFailure {
  readonly version: number;
  readonly error: unknown;
}

/** What happened to one event in one read model. */
export type Outcome = 'applied' | 'skipped' | 'gap-filled';

/** A gap the event store cannot fill: versions are missing there too. Never expected; fail loudly. */
export class UnfillableGapError extends Error {
  override readonly name = 'UnfillableGapError';
}

/**
 * Applies events to the read models exactly once each, in stream order, whatever order and
 * multiplicity they arrive in: an event applies only when its version is the guard's + 1 (a
 * conditional write), an older one is skipped, and a newer one first pulls the missing versions
 * from the event store. Guards it has read are remembered for the projector's lifetime (one batch);
 * a moved guard is read again. Distinct streams may be projected concurrently; one stream's events
 * must be projected one after another, in version order.
 */
export class Projector {
  readonly #ports: ProjectorPorts;
  readonly #projections: readonly Projection<unknown>[];
  readonly #guards = new Map<string, Guard<unknown>>();
  readonly #assumeNewStreams: boolean;

  /**
   * @param options.assumeNewStreams In a batch, take a stream whose version 1 is there as new to the
   *   read models (no guard read; a wrong guess costs a redo). Right for live traffic and for a
   *   replay into an empty table, wrong for re-deliveries of old events. @default true
   */
  constructor(
    ports: ProjectorPorts,
    projections: readonly Projection<unknown>[] = PROJECTIONS,
    options: { readonly assumeNewStreams?: boolean } = {},
  ) {
    this.#ports = ports;
    this.#projections = projections;
    this.#assumeNewStreams = options.assumeNewStreams ?? true;
  }

  /**
   * Projects a batch: per stream and read model, the events the guard has not seen (gaps filled
   * from the event store) fold into one commit, from the guard's version to the last one, and all
   * commits go to the store together (few round trips). A commit the store could not apply (its
   * guard moved) is redone event by event. Returns, per failed stream key, the first version that
   * did not apply and why; earlier versions of that stream did apply.
   * @param options.onApplied Told once per event (of the batch, or read to fill a gap) that this call applied
   *   to some read model for the first time: an event every model had already applied is not told, so a
   *   retried batch tells only what its earlier attempt did not apply.
   */
  async projectBatch(
    events: readonly StoredEvent[],
    options: { readonly onApplied?: (event: StoredEvent) => void } = {},
  ): Promise<Map<string, StreamFailure>> {
    const failures = new Map<string, StreamFailure>();
    const applied = new Map<string, StoredEvent>();
    const tell = (event: StoredEvent) => applied.set(`${streamKey(event.stream)}@${event.version}`, event);
    const streams = new Map<string, StoredEvent[]>();
    for (const event of events) {
      const key = streamKey(event.stream);
      const list = streams.get(key) ?? [];
      list.push(event);
      streams.set(key, list);
    }
    for (const list of streams.values()) list.sort((a, b) => a.version - b.version);

    const plans: {
      stream: string;
      commit: GuardedCommit<unknown>;
      cacheKey: string;
      applied: StoredEvent[];
    }[] = [];
    const redo = new Set<string>();
    await Promise.all(
      [...streams.entries()].map(async ([stream, list]) => {
        for (const projection of this.#projections) {
          if (projection.streamType !== list[0]?.stream.type) continue;
          try {
            const plan = await this.#plan(projection, list);
            if (plan) plans.push({ stream, ...plan });
          } catch {
            // Redone event by event below, which finds the exact version that fails.
            redo.add(stream);
          }
        }
      }),
    );
    const rejected = new Set(await this.#ports.readModels.commitBatch(plans.map((p) => p.commit)));
    for (const plan of plans) {
      if (rejected.has(plan.commit)) {
        this.#guards.delete(plan.cacheKey);
        redo.add(plan.stream);
      } else {
        this.#guards.set(plan.cacheKey, plan.commit.next);
        for (const event of plan.applied) tell(event);
      }
    }
    for (const stream of redo) {
      for (const event of streams.get(stream) ?? []) {
        try {
          await this.#projectAll(event, tell);
        } catch (error) {
          failures.set(stream, { version: event.version, error });
          break;
        }
      }
    }
    if (options.onApplied) for (const event of applied.values()) options.onApplied(event);
    return failures;
  }

  /** One commit folding every unseen event of one stream (sorted) into one read model, or null. */
  async #plan(
    projection: Projection<unknown>,
    events: readonly StoredEvent[],
  ): Promise<{ commit: GuardedCommit<unknown>; cacheKey: string; applied: StoredEvent[] } | null> {
    const first = events[0];
    if (!first) return null;
    const key = projection.guardKey(first.stream);
    const cacheKey = `${projection.model}|${key.pk}|${key.sk ?? ''}`;
    let guard = this.#guards.get(cacheKey);
    if (guard === undefined) {
      // A stream whose first event is in the batch is almost always new to the read model: assume
      // so without a read. If it was not, the commit's condition fails and the redo reads the guard.
      guard =
        first.version === 1 && this.#assumeNewStreams
          ? { version: 0, state: null }
          : await this.#ports.readModels.readGuard(projection.model, key, first.tenantId);
    }
    const expectedVersion = guard.version;
    let { version, state } = guard;
    const changes: RowChange[] = [];
    const appliedEvents: StoredEvent[] = [];
    const apply = (event: StoredEvent) => {
      appliedEvents.push(event);
      const applied = projection.apply(state, event);
      state = applied.state;
      version = event.version;
      changes.push(...applied.changes);
    };
    for (const event of events) {
      if (event.version <= version) continue;
      if (event.version > version + 1)
        for (const missing of await this.#missing(event, version)) apply(missing);
      apply(event);
    }
    if (version === expectedVersion) return null;
    return {
      cacheKey,
      applied: appliedEvents,
      commit: {
        model: projection.model,
        key,
        tenantId: first.tenantId,
        expectedVersion,
        next: { version, state },
        changes,
        ...(projection.guardAttributes ? { attributes: projection.guardAttributes(state) } : {}),
      },
    };
  }

  /** Projects one event into every read model that reads its stream; outcomes by model. */
  project(event: StoredEvent): Promise<Partial<Record<ReadModelName, Outcome>>> {
    return this.#projectAll(event, () => {});
  }

  /** {@link project}, telling `applied` each event it committed (the event, and any gap before it). */
  async #projectAll(
    event: StoredEvent,
    applied: (event: StoredEvent) => void,
  ): Promise<Partial<Record<ReadModelName, Outcome>>> {
    const outcomes: Partial<Record<ReadModelName, Outcome>> = {};
    for (const projection of this.#projections) {
      if (projection.streamType !== event.stream.type) continue;
      outcomes[projection.model] = await this.#applyGuarded(projection, event, applied);
    }
    return outcomes;
  }

  async #applyGuarded(
    projection: Projection<unknown>,
    event: StoredEvent,
    applied: (event: StoredEvent) => void,
  ): Promise<Outcome> {
    const key = projection.guardKey(event.stream);
    const cacheKey = `${projection.model}|${key.pk}|${key.sk ?? ''}`;
    for (let attempt = 1; ; attempt++) {
      let guard = this.#guards.get(cacheKey);
      if (guard === undefined) {
        guard = await this.#ports.readModels.readGuard(projection.model, key, event.tenantId);
        this.#guards.set(cacheKey, guard);
      }
      if (event.version <= guard.version) return 'skipped';
      try {
        let outcome: Outcome = 'applied';
        if (event.version > guard.version + 1) {
          for (const missing of await this.#missing(event, guard.version)) {
            guard = await this.#commit(projection, key, cacheKey, guard, missing);
            applied(missing);
          }
          outcome = 'gap-filled';
        }
        await this.#commit(projection, key, cacheKey, guard, event);
        applied(event);
        return outcome;
      } catch (error) {
        this.#guards.delete(cacheKey);
        if (!(error instanceof GuardMovedError) || attempt >= MAX_GUARD_ATTEMPTS) throw error;
        await this.#ports.backoff?.(attempt + 1);
      }
    }
  }

  /** Versions `after + 1` … `event.version - 1` from the event store, checked to be all there. */
  async #missing(event: StoredEvent, after: number): Promise<StoredEvent[]> {
    const events = await this.#ports.events.readStream(event.stream, after + 1, event.version - 1);
    const wanted = event.version - 1 - after;
    const contiguous = events.every((e, index) => e.version === after + 1 + index);
    if (events.length !== wanted || !contiguous) {
      throw new UnfillableGapError(
        `${streamKey(event.stream)}: versions ${after + 1}..${event.version - 1} are not all in the event store`,
      );
    }
    return events;
  }

  async #commit(
    projection: Projection<unknown>,
    key: RowKey,
    cacheKey: string,
    guard: Guard<unknown>,
    event: StoredEvent,
  ): Promise<Guard<unknown>> {
    const applied = projection.apply(guard.state, event);
    const next = { version: event.version, state: applied.state };
    await this.#ports.readModels.commit({
      model: projection.model,
      key,
      tenantId: event.tenantId,
      expectedVersion: guard.version,
      next,
      changes: applied.changes,
      ...(projection.guardAttributes ? { attributes: projection.guardAttributes(applied.state) } : {}),
    });
    this.#guards.set(cacheKey, next);
    return next;
  }
}
