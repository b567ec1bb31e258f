import { setTimeout as sleep } from 'node:timers/promises';
import { processorSignature } from '../support/processor-events.ts';

export type Json = Record<string, unknown>;

export interface Answer {
  /** 0 when no attempt got a definitive answer (the request may or may not have happened). */
  readonly status: number;
  readonly json: Json;
  /** Attempts made; more than 1 means an answer was lost and the request was sent again. */
  readonly attempts: number;
}

/** An answer that may not be final: the request may or may not have happened; retry with the same key. */
function retryable(status: number, json: Json): boolean {
  if (status === 0 || status >= 500 || status === 429) return true;
  // 409 in flight (the same key still running) or a conflict the command gave up on: both may be retried.
  return status === 409 && json.type !== 'urn:ledgerline:problem:exists-with-different-fields';
}

export interface ClientOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  /**
   * How long a request is retried before its answer counts as lost. A lost response can hold the key's
   * idempotency lock until the function's timeout, so this outlasts it. @default 90 s
   */
  readonly retryForMs?: number;
  /** Per-attempt deadline. @default 20 s */
  readonly timeoutMs?: number;
  /**
   * Serial mode: resolves when the runtime is quiescent. Awaited after every answer, so a retry (and the next
   * request) starts from a settled stack instead of after a backoff whose length decides what ran meanwhile.
   */
  readonly settle?: () => Promise<void>;
  /**
   * Serial mode: when the idempotency locks held now expire (epoch ms), if any. A 409 in flight after
   * quiescence is a lock whose invocation died: the retry waits for its expiry once, instead of polling.
   */
  readonly lockExpiry?: () => Promise<number | undefined>;
}

const IN_PROGRESS = 'urn:ledgerline:problem:idempotent-request-in-progress';

/**
 * An API client that behaves as a careful client under faults: a request whose answer was lost (5xx,
 * timeout, connection reset, 409 in flight, 429) is sent again with the same Idempotency-Key and body, with
 * backoff, until it gets a definitive answer. That is exactly-once as a client sees it.
 */
export function chaosClient(options: ClientOptions) {
  const base = options.apiUrl.replace(/\/$/, '');
  const retryForMs = options.retryForMs ?? 90_000;
  const timeoutMs = options.timeoutMs ?? 20_000;
  let retries = 0;

  async function once(method: string, path: string, body: unknown, headers: Record<string, string>) {
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          'x-api-key': options.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let json: Json = {};
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        json = { text };
      }
      return { status: response.status, json, retryAfter: Number(response.headers.get('retry-after') ?? 0) };
    } catch (error) {
      return { status: 0, json: { error: String(error) }, retryAfter: 0 };
    }
  }

  async function untilLocksExpire(): Promise<void> {
    const expiry = await options.lockExpiry?.();
    // A margin for the lock's own clock check, which runs in the function.
    if (expiry !== undefined) await sleep(Math.max(0, expiry - Date.now()) + 250);
  }

  async function request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const deadline = Date.now() + retryForMs;
    for (let attempt = 1; ; attempt++) {
      const { status, json, retryAfter } = await once(method, path, body, headers);
      // A read starts nothing (and, writing nothing, is never crashed): only a command's answer is settled.
      if (method !== 'GET') await options.settle?.();
      if (!retryable(status, json)) return { status, json, attempts: attempt };
      if (Date.now() > deadline) return { status: 0, json, attempts: attempt };
      retries++;
      if (!options.settle) await sleep(Math.min(3_000, Math.max(retryAfter * 1000, 50 * 2 ** attempt)));
      else if (status === 429) await sleep(retryAfter * 1000);
      else if (status === 409 && json.type === IN_PROGRESS) await untilLocksExpire();
    }
  }

  return {
    request,
    /** A POST with its Idempotency-Key. */
    command: (path: string, body: unknown, key: string) =>
      request('POST', path, body, { 'Idempotency-Key': key }),
    /** A processor event, signed with the webhook secret (no API key). */
    webhook: (secret: string, event: Json) => {
      const raw = JSON.stringify(event);
      return request('POST', '/webhooks/processor', raw, {
        'x-processor-signature': processorSignature(secret, raw),
      });
    },
    get: (path: string) => request('GET', path),
    /** Requests sent again because an answer was lost. */
    retries: () => retries,
  };
}

export type ChaosClient = ReturnType<typeof chaosClient>;

/** The problem code of a refusal (`urn:ledgerline:problem:<code>`), or null. */
export function problemCode(answer: Answer): string | null {
  const type = answer.json.type;
  return typeof type === 'string' ? (type.split(':').at(-1) ?? null) : null;
}
