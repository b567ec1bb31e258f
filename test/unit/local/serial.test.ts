// Serial mode, the local runtime's replayable scheduling: aliases per scope, schedules on cue, quiescence.

import { createServer } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Chaos, parseChaos } from '../../../local/chaos.ts';
import { startChaosDynamoProxy } from '../../../local/chaos-dynamodb.ts';
import { closeServer, listen, readBody } from '../../../local/http-server.ts';
import type { InvokeResult } from '../../../local/lambda-pool.ts';
import { type IdleProbe, type IdleSources, Quiescence } from '../../../local/quiescence.ts';
import { parseScheduleExpression } from '../../../local/schedule-expression.ts';
import { ScheduleRunner } from '../../../local/schedule-runner.ts';

const X = 'acct_01JQ3Z9V6W8X7Y5T4S3R2Q1P0N';
const Y = 'acct_01JQ3Z9V6W8X7Y5T4S3R2Q1P0M';

describe('aliases of minted ids', () => {
  it('are counted per scope, so a consumer meeting ids in another order than the others names them alike', () => {
    const chaos = new Chaos(undefined);
    expect(chaos.identity(`PutItem ${X}`, 'api')).toBe('PutItem acct_~1');
    expect(chaos.identity(`PutItem ${Y}`, 'api')).toBe('PutItem acct_~2');
    // The projector meets Y first: in its own scope Y is its first id, whatever the API saw before.
    expect(chaos.identity(`Put ${Y}`, 'projector')).toBe('Put acct_~1');
    expect(chaos.identity(`Put ${X}`, 'projector')).toBe('Put acct_~2');
    expect(chaos.identity(`PutItem ${X}`, 'api')).toBe('PutItem acct_~1');
  });

  it('leave exempt identities unfaulted and uncounted', () => {
    const chaos = new Chaos({
      seed: 1,
      rates: { 'dynamodb.throttle': 1 },
      exempt: ['^\\S+ GetItem \\S*Pointers'],
    });
    expect(
      chaos.pick('dynamodb', 'api GetItem Ledgerline-ReadModelsPointers0536 {}', ['dynamodb.throttle']),
    ).toBe(undefined);
    expect(chaos.pick('dynamodb', 'api GetItem Ledgerline-Events {}', ['dynamodb.throttle'])).toBe(
      'dynamodb.throttle',
    );
    expect(chaos.log().map((f) => f.identity)).toEqual(['api GetItem Ledgerline-Events {}#1']);
  });

  it('make a quiescence registry only in serial mode', () => {
    expect(new Chaos(undefined).quiescence).toBeUndefined();
    expect(new Chaos(undefined, { serial: true }).quiescence).toBeInstanceOf(Quiescence);
  });
});

describe('the DynamoDB chaos proxy after a crash', () => {
  it('neither counts nor faults the late calls of a crashed environment (their number is timing)', async () => {
    const target = createServer((request, response) => {
      void readBody(request).then(() => response.end('{}'));
    });
    const port = await listen(target, 0, '127.0.0.1');
    const chaos = new Chaos(parseChaos('seed=1,lambda.crash=1,dynamodb.latency=1,latency-ms=0'));
    const invocations = {
      functionOf: (env: string) => `fn-of-${env}`,
      firstWrite: () => true,
      crash: () => {},
      timeOut: () => {},
    };
    const proxy = await startChaosDynamoProxy({
      target: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      chaos,
      invocations: () => invocations,
    });
    const put = () =>
      fetch(proxy.endpointFor('env1'), {
        method: 'POST',
        headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' },
        body: JSON.stringify({ TableName: 'events', Item: { pk: { S: 'a' } } }),
      });
    try {
      await expect(put()).rejects.toThrow();
      expect((await put()).status).toBe(200);
      expect(chaos.log().map((f) => `${f.boundary}.${f.kind} ${f.identity.split(' ').at(-1)}`)).toEqual([
        'dynamodb.latency {}#1',
        'lambda.crash {}#1',
      ]);
    } finally {
      await proxy.stop();
      await closeServer(target);
    }
  });
});

describe('schedules in serial mode', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never run on the clock, and run every target once on fire(), resolving when they ended', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-30T10:00:00Z') });
    const calls: string[] = [];
    const ended: string[] = [];
    const invoke = async (fn: string): Promise<InvokeResult> => {
      calls.push(fn);
      await Promise.resolve();
      ended.push(fn);
      return { ok: true, payload: null };
    };
    const runner = new ScheduleRunner({ invoke, region: 'eu-west-1', log: () => {}, manual: true });
    runner.start({
      logicalId: 'Sweep',
      ruleArn: 'arn:aws:events:eu-west-1:000000000000:rule/sweep',
      expression: parseScheduleExpression('rate(1 minute)'),
      targets: [
        { id: 'a', functionName: 'sweep' },
        { id: 'b', functionName: 'report', input: { all: true } },
      ],
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls).toEqual([]);
    await runner.fire();
    expect(ended).toEqual(['sweep', 'report']);
    await runner.stop();
  });
});

/** A stream poller stand-in: each poke is one poll, whose outcome `polls` scripts (then empty ones). */
function fakeProbe(polls: ('empty' | 'fetch')[]) {
  let empty = 0;
  let fetched = 0;
  let emptyAtFetch = 0;
  const probe: IdleProbe = {
    busy: () => false,
    emptyPolls: () => empty,
    fetched: () => fetched,
    poke: () => {
      if (polls.shift() === 'fetch') {
        fetched++;
        emptyAtFetch = empty;
      } else empty++;
    },
  };
  return { probe, emptyAfterFetch: () => empty - emptyAtFetch };
}

function sources(overrides: Partial<IdleSources> = {}): IdleSources {
  return { inFlight: () => 0, running: () => 0, queued: async () => 0, ...overrides };
}

describe('idle()', () => {
  it('waits for invocations, executions and queued messages to end', async () => {
    const quiescence = new Quiescence();
    let inFlight = 2;
    let running = 1;
    let queued = 1;
    const done = quiescence.idle(
      sources({ inFlight: () => inFlight, running: () => running, queued: async () => queued }),
    );
    let idle = false;
    void done.then(() => {
      idle = true;
    });
    for (const step of [() => (inFlight = 0), () => (running = 0)]) {
      await new Promise((r) => setTimeout(r, 60));
      expect(idle).toBe(false);
      step();
    }
    await new Promise((r) => setTimeout(r, 60));
    expect(idle).toBe(false);
    queued = 0;
    await done;
  });

  it('calls a stream caught up only after two empty polls that came after its last fetch', async () => {
    const quiescence = new Quiescence();
    // One empty poll, then records, then empty polls: the empty poll before the records does not count.
    const { probe, emptyAfterFetch } = fakeProbe(['empty', 'fetch']);
    quiescence.watch(probe);
    await quiescence.idle(sources());
    expect(probe.fetched()).toBe(1);
    expect(emptyAfterFetch()).toBeGreaterThanOrEqual(2);
  });

  it('names what still runs when it gives up', async () => {
    const quiescence = new Quiescence();
    await expect(quiescence.idle(sources({ running: () => 1 }), 50)).rejects.toThrow(
      /not idle after 50 ms: 1 execution\(s\) running/,
    );
  });
});
