// A local runtime of its own with chaos on, for the chaos-*.test.ts files (the shared target runs without).
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { apiClient, type Reply } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';

const projectRoot = join(import.meta.dirname, '..', '..');
const LATEST = '9999-12-31T23:59:59Z';

export interface Balances {
  readonly debitsPending: number;
  readonly debitsPosted: number;
  readonly creditsPending: number;
  readonly creditsPosted: number;
  readonly available: number;
}

function balancesOf(value: unknown): Balances {
  const b: Record<string, unknown> = value && typeof value === 'object' ? { ...value } : {};
  const n = (name: string) => Number(b[name] ?? Number.NaN);
  return {
    debitsPending: n('debitsPending'),
    debitsPosted: n('debitsPosted'),
    creditsPending: n('creditsPending'),
    creditsPosted: n('creditsPosted'),
    available: n('available'),
  };
}

export interface ChaosStack {
  readonly runtime: LocalRuntime;
  /** Sends a request with its Idempotency-Key again while the stack answers 5xx or 409 (in flight), as a client should. */
  send(
    method: string,
    path: string,
    body: unknown,
    key: string,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  get(path: string): Promise<Reply>;
  /** The account's balances from the event store (`asOf` far ahead): the write side's truth. */
  ledgerBalances(id: string): Promise<Balances>;
  /** Waits until the account view has caught up with the event store, then returns its balances. */
  viewBalances(id: string): Promise<Balances>;
  openAccount(key: string, kind?: 'customer' | 'merchant'): Promise<string>;
  /** Two accounts (`<prefix>-open-a`, `-b`), `deposit` paid into the first (`<prefix>-dep`). */
  fundedPair(prefix: string, deposit: number): Promise<{ a: string; b: string }>;
  /** What the runtime logged (the chaos summary line at stop among them). */
  lines(): string[];
  stop(): Promise<void>;
}

/** The processor webhook secret the chaos stacks start with. */
export const CHAOS_PROCESSOR_SECRET = 'chaos-processor-webhook-secret-0123456789abcdef';

export async function startChaosStack(chaos: string): Promise<ChaosStack> {
  const { ensureAssembly } = await import('../../local/synth.ts');
  const { startLocalRuntime } = await import('../../local/runtime.ts');
  const cdkOut = join(projectRoot, 'cdk.out');
  await ensureAssembly(projectRoot, cdkOut, true);
  const apiKey = 'chaos-tenant-0123456789abcdef';
  const logs = createWriteStream(join(tmpdir(), `ledgerline-chaos-${process.pid}.log`));
  const lines: string[] = [];
  const runtime = await startLocalRuntime({
    cdkOut,
    projectRoot,
    port: 0,
    apiKeys: [apiKey],
    secrets: { ProcessorWebhookSecret: CHAOS_PROCESSOR_SECRET },
    chaos,
    log: (line) => {
      lines.push(line);
      logs.write(`${line}\n`);
    },
    functionLog: (fn, line) => logs.write(`[${fn}] ${line}\n`),
  });
  const request = apiClient(runtime.apiUrl ?? '', apiKey);
  const send = async (method: string, path: string, body: unknown, key: string, headers = {}) => {
    // A lost response can leave the request's idempotency lock in place until the function's timeout: a client
    // honours Retry-After meanwhile.
    const deadline = Date.now() + 90_000;
    for (let attempt = 1; ; attempt++) {
      const reply = await request(method, path, body, { 'idempotency-key': key, ...headers });
      if ((reply.status < 500 && reply.status !== 409) || Date.now() > deadline) return reply;
      const after = Number(reply.headers.get('retry-after') ?? 0) * 1000;
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(after, 100 * attempt))));
    }
  };
  const get = async (path: string) => {
    let reply = await request('GET', path);
    for (let attempt = 1; attempt < 12 && reply.status >= 500; attempt++) reply = await request('GET', path);
    return reply;
  };
  const openAccount = async (key: string, kind: 'customer' | 'merchant' = 'customer') => {
    const reply = await send('POST', '/accounts', { currency: 'USD', kind }, key);
    expect(reply.status).toBe(201);
    return String(reply.json.id);
  };
  const ledger = async (id: string) => (await get(`/accounts/${id}?asOf=${LATEST}`)).json;
  return {
    runtime,
    send,
    get,
    ledgerBalances: async (id) => balancesOf((await ledger(id)).balances),
    async viewBalances(id) {
      const head = await ledger(id);
      return waitFor(
        async () => {
          const view = await get(`/accounts/${id}`);
          return view.json.version === head.version ? balancesOf(view.json.balances) : undefined;
        },
        { what: `account view of ${id} at version ${String(head.version)}`, timeoutMs: 30_000 },
      );
    },
    openAccount,
    async fundedPair(prefix, deposit) {
      const a = await openAccount(`${prefix}-open-a`);
      const b = await openAccount(`${prefix}-open-b`);
      const paid = await send(
        'POST',
        `/accounts/${a}/deposits`,
        { amount: deposit, currency: 'USD' },
        `${prefix}-dep`,
      );
      expect(paid.status).toBe(201);
      return { a, b };
    },
    lines: () => lines,
    async stop() {
      await runtime.stop();
      logs.end();
    },
  };
}

/** A chaos stack for the file: started before its tests, stopped after them. */
export function chaosStackFor(chaos: string): () => ChaosStack {
  let stack: ChaosStack | undefined;
  beforeAll(async () => {
    stack = await startChaosStack(chaos);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the chaos stack did not start');
    return stack;
  };
}
