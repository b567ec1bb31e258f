import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENVIRONMENTS_SWITCH,
  environmentsPerFunction,
  type FunctionSpec,
  LambdaPool,
} from '../../../local/lambda-pool.ts';

const HANDLER = `
let invocations = 0;
export const handler = async (event, context) => {
  invocations++;
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event.fail) throw new RangeError('out of range');
  return {
    invocations,
    mine: process.env.MINE ?? null,
    theirs: process.env.THEIRS ?? null,
    parent: process.env.LOCAL_POOL_TEST_PARENT ?? null,
    remainingMs: context.getRemainingTimeInMillis(),
    requestId: context.awsRequestId,
    functionName: context.functionName,
    memory: context.memoryLimitInMB,
    arn: context.invokedFunctionArn,
  };
};
`;

describe('LambdaPool', () => {
  let dir: string;
  let pool: LambdaPool;
  const spec = (name: string, env: Record<string, string>, timeoutSeconds = 3): FunctionSpec => ({
    logicalId: name,
    name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    entryFile: join(dir, 'index.mjs'),
    exportName: 'handler',
    handler: 'index.handler',
    timeoutSeconds,
    memoryMb: 256,
    env,
  });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lambda-pool-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.mjs'), HANDLER);
    process.env.LOCAL_POOL_TEST_PARENT = 'leaked';
    pool = new LambdaPool({ projectRoot: process.cwd(), onLog: () => {} });
    pool.register(spec('first', { MINE: 'first' }));
    pool.register(spec('second', { MINE: 'second', THEIRS: 'only-second' }));
    pool.register(spec('short', {}, 1));
  });

  afterAll(async () => {
    await pool.stop();
    delete process.env.LOCAL_POOL_TEST_PARENT;
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each function only its own environment, not the parent process env', async () => {
    const first = await pool.invoke('first', {});
    const second = await pool.invoke('second', {});
    expect(first).toMatchObject({ ok: true, payload: { mine: 'first', theirs: null, parent: null } });
    expect(second).toMatchObject({
      ok: true,
      payload: { mine: 'second', theirs: 'only-second', parent: null },
    });
  });

  it('passes a Lambda-shaped context and stays warm between invocations', async () => {
    const a = await pool.invoke('arn:aws:lambda:us-east-1:000000000000:function:first', {});
    const b = await pool.invoke('first', {});
    if (!a.ok || !b.ok) throw new Error('invocation failed');
    const [pa, pb] = [a.payload, b.payload] as Record<string, unknown>[];
    expect(pb?.invocations).toBe((pa?.invocations as number) + 1);
    expect(pa).toMatchObject({
      functionName: 'first',
      memory: '256',
      arn: expect.stringContaining(':function:first'),
    });
    expect(pa?.remainingMs).toBeGreaterThan(2000);
    expect(pa?.remainingMs).toBeLessThanOrEqual(3000);
    expect(pa?.requestId).not.toBe(pb?.requestId);
  });

  it('reports a thrown error as the function error, with its type', async () => {
    const result = await pool.invoke('first', { fail: true });
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'RangeError', errorMessage: 'out of range' },
    });
  });

  it('stops an invocation at its timeout and starts a fresh environment afterwards', async () => {
    const started = Date.now();
    const result = await pool.invoke('short', { sleepMs: 10_000 });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    if (!result.ok) expect(result.error.errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    const next = await pool.invoke('short', {});
    expect(next).toMatchObject({ ok: true, payload: { invocations: 1 } });
  });

  it('runs concurrent invocations in separate environments', async () => {
    const results = await Promise.all([1, 2, 3].map(() => pool.invoke('second', { sleepMs: 200 })));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('counts invocations and cold starts per function (an environment that timed out is replaced)', () => {
    // first: 4 invocations in one warm environment; second: 1, then 3 at once (2 more environments);
    // short: a timeout kills its environment, so the next invocation starts another.
    expect(pool.counts()).toEqual({
      first: { invocations: 4, coldStarts: 1 },
      second: { invocations: 4, coldStarts: 3 },
      short: { invocations: 2, coldStarts: 2 },
    });
  });

  it('runs at most the cap of environments per function and queues the rest', async () => {
    const capped = new LambdaPool({
      projectRoot: process.cwd(),
      onLog: () => {},
      maxEnvironmentsPerFunction: 2,
    });
    capped.register(spec('capped', {}));
    try {
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => capped.invoke('capped', { sleepMs: 100 })));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(capped.counts()).toEqual({ capped: { invocations: 5, coldStarts: 2 } });
    } finally {
      await capped.stop();
    }
  });
});

describe('environments per function', () => {
  it('are one more than the cores (2 … 10) unless set', () => {
    expect(environmentsPerFunction(2, {})).toBe(3);
    expect(environmentsPerFunction(1, {})).toBe(2);
    expect(environmentsPerFunction(64, {})).toBe(10);
    expect(environmentsPerFunction(2, { [ENVIRONMENTS_SWITCH]: '6' })).toBe(6);
    expect(environmentsPerFunction(2, { [ENVIRONMENTS_SWITCH]: '50' })).toBe(10);
    expect(environmentsPerFunction(2, { [ENVIRONMENTS_SWITCH]: 'lots' })).toBe(3);
  });
});
