import { describe, expect, it } from 'vitest';
import {
  ALL_CHAOS_KINDS,
  Chaos,
  type ChaosSettings,
  chaosDecides,
  chaosSettingsFrom,
  parseChaos,
} from '../../../local/chaos.ts';
import { operationIdentity } from '../../../local/chaos-dynamodb.ts';

describe('LEDGERLINE_CHAOS', () => {
  it('reads a seed, kinds, whole boundaries, all, and the latency', () => {
    expect(parseChaos('seed=42, dynamodb.throttle=0.1,sqs=0.2,latency-ms=50')).toEqual({
      seed: 42,
      rates: { 'dynamodb.throttle': 0.1, 'sqs.duplicate': 0.2, 'sqs.redeliver': 0.2 },
      latencyMs: 50,
    });
    const all = parseChaos('seed=1,all=0.01,stream.fail=0');
    expect(Object.keys(all.rates).sort()).toEqual([...ALL_CHAOS_KINDS].sort());
    expect(all.rates['stream.fail']).toBe(0);
  });

  it.each([
    ['dynamodb.throttle=0.1', /seed=<n> is required/],
    ['seed=-1', /seed must be a non-negative integer/],
    ['seed=1.5', /seed must be a non-negative integer/],
    ['seed=1,dynamodb.throttle=2', /rate between 0 and 1/],
    ['seed=1,dynamodb.throttle=', /rate between 0 and 1/],
    ['seed=1,dynamo=0.1', /unknown fault "dynamo"/],
    ['seed=1,throttle', /not <name>=<value>/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseChaos(spec)).toThrow(message);
  });

  it('takes the option before the environment, and is off without either', () => {
    const env = { LEDGERLINE_CHAOS: 'seed=9,lambda.crash=0.5' };
    expect(chaosSettingsFrom(undefined, env)).toEqual({ seed: 9, rates: { 'lambda.crash': 0.5 } });
    expect(chaosSettingsFrom('seed=3', env)).toEqual({ seed: 3, rates: {} });
    const settings: ChaosSettings = { seed: 4, rates: {} };
    expect(chaosSettingsFrom(settings, env)).toBe(settings);
    expect(chaosSettingsFrom(undefined, {})).toBeUndefined();
    expect(chaosSettingsFrom(undefined, { LEDGERLINE_CHAOS: ' ' })).toBeUndefined();
  });
});

describe('the decision', () => {
  const settings = parseChaos('seed=7,sqs.duplicate=0.2,stream.fail=1');

  it('is a pure function of seed, kind, identity and occurrence', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `msg-${i}`);
    const once = ids.map((id) => chaosDecides(settings, 'sqs.duplicate', id, 1));
    expect(ids.map((id) => chaosDecides(settings, 'sqs.duplicate', id, 1))).toEqual(once);
    const otherSeed = { ...settings, seed: 8 };
    expect(ids.map((id) => chaosDecides(otherSeed, 'sqs.duplicate', id, 1))).not.toEqual(once);
    expect(ids.map((id) => chaosDecides(settings, 'sqs.duplicate', id, 2))).not.toEqual(once);
  });

  it('honours the rate over many identities, and never fires at 0 or misses at 1', () => {
    for (const [rate, n] of [
      [0.02, 20_000],
      [0.2, 20_000],
      [0.5, 10_000],
    ] as const) {
      const s: ChaosSettings = { seed: 11, rates: { 'dynamodb.throttle': rate } };
      let hits = 0;
      for (let i = 0; i < n; i++)
        if (chaosDecides(s, 'dynamodb.throttle', `PutItem t {"pk":"${i}"}`, 1)) hits++;
      // Binomial: well inside five standard deviations.
      const sd = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(hits - n * rate)).toBeLessThan(5 * sd);
    }
    expect(chaosDecides(settings, 'sqs.redeliver', 'x', 1)).toBe(false);
    expect(chaosDecides(settings, 'stream.fail', 'x', 1)).toBe(true);
  });
});

describe('the injector', () => {
  it('counts occurrences per identity, records what it injected, and replays it with the same seed', () => {
    const run = () => {
      const chaos = new Chaos(parseChaos('seed=5,sqs.duplicate=0.3,sqs.redeliver=0.3'));
      for (let round = 0; round < 3; round++)
        for (let i = 0; i < 50; i++) chaos.pick('sqs', `m${i}`, ['sqs.duplicate', 'sqs.redeliver']);
      return chaos;
    };
    const a = run();
    const b = run();
    expect(a.log()).toEqual(b.log());
    expect(a.log().length).toBeGreaterThan(0);
    expect(a.log().every((f) => f.boundary === 'sqs' && /^m\d+#[123]$/.test(f.identity))).toBe(true);
    const counts = a.counts();
    expect((counts['sqs.duplicate'] ?? 0) + (counts['sqs.redeliver'] ?? 0)).toBe(a.log().length);
    expect(a.summary()).toMatch(
      /^chaos: seed=5 injected \d+ fault\(s\): sqs\.duplicate=\d+ sqs\.redeliver=\d+/,
    );
  });

  it('injects nothing when off, and knows which boundaries are on', () => {
    const off = new Chaos(undefined);
    expect(off.pick('sqs', 'm', ['sqs.duplicate'])).toBeUndefined();
    expect(off.seed).toBe(0);
    expect(off.log()).toEqual([]);
    const on = new Chaos(parseChaos('seed=1,stream.fail=0.1'));
    expect(on.active('stream')).toBe(true);
    expect(on.active('dynamodb')).toBe(false);
  });

  it('names minted ids by their first appearance and drops timestamps, so two runs agree', () => {
    const name = (ids: string[]) => {
      const chaos = new Chaos(undefined);
      return ids.map((id) =>
        chaos.identity(`PutItem events {"pk":"account#t#${id}"} at 2026-11-30T22:31:44.123Z`),
      );
    };
    const first = name([
      'acct_01JQ3Z9V6W8X7Y5T4S3R2Q1P0N',
      'acct_01JQ3Z9V6W8X7Y5T4S3R2Q1P0M',
      'acct_01JQ3Z9V6W8X7Y5T4S3R2Q1P0N',
    ]);
    const second = name([
      'acct_01JR000000000000000000000A',
      'acct_01JR000000000000000000000B',
      'acct_01JR000000000000000000000A',
    ]);
    expect(first).toEqual(second);
    expect(first[0]).toBe('PutItem events {"pk":"account#t#acct_~1"} at T');
    expect(first[1]).toContain('acct_~2');
  });
});

describe('the identity of a DynamoDB call', () => {
  const keys = async (table: string) => (table === 'events' ? ['pk', 'version'] : ['pk']);

  it('names the op, the tables and the keys, never the values written', async () => {
    const put = (payload: string) =>
      operationIdentity(
        'PutItem',
        { TableName: 'events', Item: { pk: { S: 'a' }, version: { N: '1' }, payload: { S: payload } } },
        keys,
      );
    expect(await put('x')).toBe('PutItem events {"pk":{"S":"a"},"version":{"N":"1"}}');
    expect(await put('y')).toBe(await put('x'));
    const transact = await operationIdentity(
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'events', Item: { pk: { S: 'a' }, version: { N: '2' } } } },
          { ConditionCheck: { TableName: 'events', Key: { version: { N: '1' }, pk: { S: 'a' } } } },
        ],
      },
      keys,
    );
    expect(transact).toBe(
      'TransactWriteItems Put events {"pk":{"S":"a"},"version":{"N":"2"}} ConditionCheck events {"pk":{"S":"a"},"version":{"N":"1"}}',
    );
    expect(
      await operationIdentity(
        'BatchWriteItem',
        { RequestItems: { views: [{ PutRequest: { Item: { pk: { S: 'v' }, n: { N: '3' } } } }] } },
        keys,
      ),
    ).toBe('BatchWriteItem views {"pk":{"S":"v"}}');
    expect(
      await operationIdentity(
        'Query',
        {
          TableName: 'events',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'a' } },
        },
        keys,
      ),
    ).toBe(
      'Query {"ExpressionAttributeValues":{":p":{"S":"a"}},"KeyConditionExpression":"pk = :p","TableName":"events"}',
    );
  });
});
