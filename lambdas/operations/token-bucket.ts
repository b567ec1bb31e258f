import { setTimeout as sleep } from 'node:timers/promises';

/** Rate limit: `ratePerSecond` tokens refill continuously up to `burst`; `take` waits for enough. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, burst = ratePerSecond, now: () => number = Date.now) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be > 0 per second, got ${ratePerSecond}`);
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#at = now();
  }

  /** Waits until `count` tokens (at most the burst at once) are available, then takes them. */
  async take(count = 1): Promise<void> {
    let wanted = count;
    while (wanted > 0) {
      const chunk = Math.min(wanted, this.#burst);
      this.#refill();
      if (this.#tokens < chunk) {
        await sleep(Math.ceil(((chunk - this.#tokens) / this.#rate) * 1000));
        this.#refill();
      }
      this.#tokens -= chunk;
      wanted -= chunk;
    }
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }
}
