import { describe, expect, it } from 'vitest';
import type { AccountState } from '../../../lambdas/domain/account.ts';
import {
  accountOfStream,
  combineShards,
  helpingSide,
  isShardStream,
  ShardedAsOfVersionError,
  shardOf,
  shardStreamId,
  shardStreamIds,
} from '../../../lambdas/domain/shards.ts';

const flags = (debitsMustNotExceedCredits: boolean, creditsMustNotExceedDebits: boolean) => ({
  flags: { debitsMustNotExceedCredits, creditsMustNotExceedDebits },
});

function part(overrides: Partial<AccountState>): AccountState {
  return {
    id: 'settlement-USD',
    tenantId: 'tenant-a',
    currency: 'USD',
    kind: 'internal',
    status: 'open',
    flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
    debitsPending: 0,
    debitsPosted: 0,
    creditsPending: 0,
    creditsPosted: 0,
    shards: 0,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('shard stream ids', () => {
  it('names shard k of an account `<id>~<k>`, and the main stream by the account id alone', () => {
    expect(shardStreamId('settlement-USD', 7)).toBe('settlement-USD~7');
    expect(shardStreamId('settlement-USD', 0)).toBe('settlement-USD~0');
    expect(shardStreamId('acct_1', 'main')).toBe('acct_1');
    expect(shardStreamIds('fees-EUR', 3)).toEqual(['fees-EUR~0', 'fees-EUR~1', 'fees-EUR~2']);
    expect(shardStreamIds('fees-EUR', 0)).toEqual([]);
  });

  it('finds the account of a stream, and tells shards from main streams', () => {
    expect(accountOfStream('settlement-USD~7')).toBe('settlement-USD');
    expect(accountOfStream('acct_1~12')).toBe('acct_1');
    expect(accountOfStream('acct_1')).toBe('acct_1');
    expect(isShardStream('acct_1~0')).toBe(true);
    expect(isShardStream('acct_1')).toBe(false);
  });
});

describe('shardOf', () => {
  it('is FNV-1a (32 bit) of the transfer id, modulo the shard count', () => {
    // Published FNV-1a test vectors; with 2^32 shards the shard is the hash itself.
    expect(shardOf('', 2 ** 32)).toBe(0x811c9dc5);
    expect(shardOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(shardOf('foobar', 2 ** 32)).toBe(0xbf9cf968);
    expect(shardOf('foobar', 16)).toBe(0xbf9cf968 % 16);
  });

  it('spreads ids over every shard and never outside them', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`tr_${i}`, 8)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('helpingSide', () => {
  it('is the side that cannot break the one limit the account has, and none with zero or two limits', () => {
    expect(helpingSide(flags(true, false))).toBe('credit');
    expect(helpingSide(flags(false, true))).toBe('debit');
    expect(helpingSide(flags(false, false))).toBeNull();
    expect(helpingSide(flags(true, true))).toBeNull();
  });
});

describe('combineShards', () => {
  it('is nothing for no parts', () => {
    expect(combineShards([])).toBeNull();
  });

  it('sums balances and versions, keeps the first part identity and the earliest creation', () => {
    const combined = combineShards([
      part({ id: 'acct_1', status: 'frozen', debitsPending: 1, debitsPosted: 2, creditsPending: 3 }),
      part({ creditsPosted: 40, debitsPosted: 20, version: 4, createdAt: '2025-12-31T00:00:00.000Z' }),
      part({ debitsPending: 100, creditsPending: 300, creditsPosted: 400, version: 2 }),
    ]);
    expect(combined).toEqual(
      part({
        id: 'acct_1',
        status: 'frozen',
        debitsPending: 101,
        debitsPosted: 22,
        creditsPending: 303,
        creditsPosted: 440,
        version: 7,
        createdAt: '2025-12-31T00:00:00.000Z',
      }),
    );
  });

  it('keeps the first creation when a later part was created after it', () => {
    const combined = combineShards([part({}), part({ createdAt: '2026-02-01T00:00:00.000Z' })]);
    expect(combined?.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('ShardedAsOfVersionError', () => {
  it('names the account and points to asOf=<an instant>', () => {
    const error = new ShardedAsOfVersionError('settlement-USD');
    expect(error.details).toEqual({ accountId: 'settlement-USD' });
    expect(error.name).toBe('ShardedAsOfVersionError');
    expect(error.code).toBe('as-of-version-sharded');
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('settlement-USD');
    expect(error.message).toContain('asOf=<an instant>');
  });
});
