import {
  type CaptureRequest,
  type CaptureResult,
  PaymentDeclinedError,
  type PaymentProcessor,
  ProcessorUnavailableError,
  type RefundRequest,
  type RefundResult,
} from '../domain/payments/processor.ts';
import { fullJitterDelay } from './backoff.ts';
import { type CircuitBreaker, CircuitOpenError } from './circuit-breaker.ts';

export interface HttpPaymentProcessorOptions {
  /** The processor's API root, e.g. the sandbox's Function URL. */
  readonly baseUrl: string;
  /** The API secret, sent as `Authorization: Bearer …` (resolved lazily, cached by the caller). */
  readonly secret: () => Promise<string>;
  /** Each request is aborted after this long. */
  readonly timeoutMs: number;
  /** Attempts per call, the first included; 5xx, 409 and timeouts are retried with full jitter. */
  readonly maxAttempts: number;
  /** Backoff bounds between attempts. @default { base: 100, cap: 1000 } */
  readonly backoff?: { readonly base: number; readonly cap: number };
  /** One breaker per container: opens after repeated outages, so a dead processor is not hammered. */
  readonly breaker: CircuitBreaker;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** An answer worth retrying (5xx, 409 in-flight duplicate, 429, timeout, network). */
class TransientAnswer extends Error {
  override readonly name = 'TransientAnswer';
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * The payment processor over HTTP (the sandbox speaks the same API). Every call carries the
 * processor's `Idempotency-Key`, so a retry (ours, the saga's, or a redrive) never captures or
 * refunds twice. 402 is a decline ({@link PaymentDeclinedError}, never retried); everything else that
 * is not a success is {@link ProcessorUnavailableError} once the attempts are spent.
 */
export class HttpPaymentProcessor implements PaymentProcessor {
  readonly #options: HttpPaymentProcessorOptions;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: HttpPaymentProcessorOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async capture(request: CaptureRequest): Promise<CaptureResult> {
    const answer = await this.#call('/v1/captures', request.idempotencyKey, {
      amount: request.amount,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      reference: request.paymentId,
    });
    if (answer.status === 402) throw this.#declined(request.paymentId, answer);
    const id = answer.body.id;
    if (typeof id !== 'string')
      throw new ProcessorUnavailableError('The processor answered a capture without an id');
    return { processorPaymentId: id };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const answer = await this.#call('/v1/refunds', request.idempotencyKey, {
      capture: request.processorPaymentId,
      captureIdempotencyKey: request.captureIdempotencyKey,
      amount: request.amount,
      reference: request.paymentId,
    });
    if (answer.status === 402) throw this.#declined(request.paymentId, answer);
    if (answer.body.status === 'nothing-to-refund')
      return { processorRefundId: null, outcome: 'nothing-to-refund' };
    const id = answer.body.id;
    if (typeof id !== 'string')
      throw new ProcessorUnavailableError('The processor answered a refund without an id');
    return { processorRefundId: id, outcome: 'refunded' };
  }

  #declined(paymentId: string, answer: Answer): PaymentDeclinedError {
    const code = typeof answer.body.declineCode === 'string' ? answer.body.declineCode : 'declined';
    return new PaymentDeclinedError(paymentId, code);
  }

  /** Sends with retries; returns a 2xx or 402 answer, or throws ProcessorUnavailableError. */
  async #call(path: string, idempotencyKey: string, body: object): Promise<Answer> {
    const { maxAttempts } = this.#options;
    const limits = this.#options.backoff ?? { base: 100, cap: 1_000 };
    let last: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await this.#sleep(fullJitterDelay(attempt - 1, limits, this.#options.random));
      try {
        // Declines are answers, not outages: they never count against the breaker.
        return await this.#options.breaker.call(() => this.#send(path, idempotencyKey, body));
      } catch (error) {
        last = error;
        if (error instanceof CircuitOpenError) break;
        if (!(error instanceof TransientAnswer)) throw error;
      }
    }
    throw new ProcessorUnavailableError(
      `The processor is unavailable (${path}, ${maxAttempts} attempts): ${(last as Error)?.message ?? 'unknown'}`,
      { cause: last },
    );
  }

  async #send(path: string, idempotencyKey: string, body: object): Promise<Answer> {
    const url = `${this.#options.baseUrl.replace(/\/$/, '')}${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.#options.secret()}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      const what =
        (error as Error).name === 'TimeoutError'
          ? `timed out after ${this.#options.timeoutMs} ms`
          : String(error);
      throw new TransientAnswer(`POST ${path} ${what}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    if (response.ok || response.status === 402) return { status: response.status, body: parsed };
    throw new TransientAnswer(`POST ${path} answered ${response.status}`);
  }
}
