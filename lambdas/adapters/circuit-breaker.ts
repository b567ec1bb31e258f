/** Thrown instead of calling a dependency that is known to be down. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  readonly retryAfterMs: number;
  constructor(dependency: string, retryAfterMs: number) {
    super(`${dependency} is failing; not calling it for another ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

export interface CircuitBreakerOptions {
  /** For messages. */
  readonly name: string;
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long it stays open before one trial call is let through (half-open). */
  readonly coolDownMs: number;
  readonly now?: () => number;
}

type State = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half-open' };

/**
 * Closed → (failureThreshold consecutive failures) → open → (coolDownMs) → half-open: one trial
 * call; success closes, failure opens again. `isFailure` decides which errors count (a business
 * decline is an answer, not an outage). State lives per container, which is what a Lambda can hold.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;
  #state: State = { kind: 'closed', failures: 0 };
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): State['kind'] {
    if (this.#state.kind === 'open' && this.#now() >= this.#state.until) return 'half-open';
    return this.#state.kind;
  }

  async call<T>(
    operation: () => Promise<T>,
    isFailure: (error: unknown) => boolean = () => true,
  ): Promise<T> {
    const state = this.state;
    if (state === 'open' && this.#state.kind === 'open') {
      throw new CircuitOpenError(this.#options.name, this.#state.until - this.#now());
    }
    if (state === 'half-open') {
      if (this.#trialInFlight) throw new CircuitOpenError(this.#options.name, this.#options.coolDownMs);
      this.#trialInFlight = true;
    }
    try {
      const result = await operation();
      this.#state = { kind: 'closed', failures: 0 };
      return result;
    } catch (error) {
      if (isFailure(error)) this.#recordFailure(state === 'half-open');
      else if (state === 'half-open') this.#state = { kind: 'closed', failures: 0 };
      throw error;
    } finally {
      if (state === 'half-open') this.#trialInFlight = false;
    }
  }

  #recordFailure(trial: boolean): void {
    const failures =
      this.#state.kind === 'closed' ? this.#state.failures + 1 : this.#options.failureThreshold;
    this.#state =
      trial || failures >= this.#options.failureThreshold
        ? { kind: 'open', until: this.#now() + this.#options.coolDownMs }
        : { kind: 'closed', failures };
  }
}
