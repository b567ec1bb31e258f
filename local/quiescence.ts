// Quiescence, for runs that must replay exactly (`serial`): `idle()` resolves when nothing the runtime owns
// runs or is due, so a harness can send the next request into the same state every time.
import { sleep } from './sleep.ts';

/** A poller as quiescence sees it (the stream pollers register one each). */
export interface IdleProbe {
  /** Records held, or a delivery in progress. */
  busy(): boolean;
  /** Completed polls that found nothing, counted per shard: the fewest of any shard it polls (monotonic). */
  emptyPolls(): number;
  /** Records fetched so far (monotonic). */
  fetched(): number;
  /** Wakes the poller if it sleeps between polls, so it polls now. */
  poke(): void;
}

/** What `idle()` watches besides the probes. */
export interface IdleSources {
  /** Invocations running or waiting for an environment. */
  readonly inFlight: () => number;
  /** State machine executions running. */
  readonly running: () => number;
  /** Messages in the queues that have a consumer: visible, in flight, or delayed. */
  readonly queued: () => Promise<number>;
}

/** The probes of one runtime, registered by the pollers as they start. */
export class Quiescence {
  readonly #probes: IdleProbe[] = [];

  watch(probe: IdleProbe): void {
    this.#probes.push(probe);
  }

  /** What still runs, or undefined when nothing does. */
  async #busyWith(sources: IdleSources): Promise<string | undefined> {
    if (sources.inFlight() > 0) return `${sources.inFlight()} invocation(s) in flight`;
    if (sources.running() > 0) return `${sources.running()} execution(s) running`;
    if (this.#probes.some((p) => p.busy())) return 'a stream poller holds records';
    const queued = await sources.queued();
    return queued > 0 ? `${queued} message(s) queued` : undefined;
  }

  /**
   * Resolves once nothing runs: no invocation in flight, no execution running, no message queued (delayed
   * or invisible ones included: a crashed worker's message counts until its visibility timeout brings it
   * back and it is processed), and every stream poller polled its shards twice, finding nothing, after all
   * of that was seen quiet. Rejects after `timeoutMs` naming what still runs.
   */
  async idle(sources: IdleSources, timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = await this.#busyWith(sources);
      if (
        busy === undefined &&
        (await this.#streamsCaughtUp()) &&
        (await this.#busyWith(sources)) === undefined
      )
        return;
      if (Date.now() > deadline) throw new Error(`the runtime is not idle after ${timeoutMs} ms: ${busy}`);
      await sleep(20);
    }
  }

  /** Whether every stream poller completed two empty polls, fetching nothing, from now. */
  async #streamsCaughtUp(): Promise<boolean> {
    const polls = this.#probes.map((p) => p.emptyPolls());
    const fetched = this.#probes.map((p) => p.fetched());
    const moved = () => this.#probes.some((p, i) => p.fetched() !== fetched[i]);
    const until = Date.now() + 5_000;
    while (!moved() && this.#probes.some((p, i) => p.emptyPolls() < (polls[i] ?? 0) + 2)) {
      if (Date.now() > until) return false;
      for (const p of this.#probes) p.poke();
      await sleep(2);
    }
    return !moved();
  }
}
