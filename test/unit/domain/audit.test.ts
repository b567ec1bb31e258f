import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  type ChainedContent,
  canonicalJson,
  chainHash,
  chainLinkText,
  GENESIS_HASH,
  merkleRoot,
  type Sha256,
  sameBytes,
  snapshotMacText,
} from '../../../lambdas/domain/audit.ts';

const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const content: ChainedContent = {
  type: 'AccountFrozen',
  eventId: 'evt_1',
  schemaVersion: 1,
  occurredAt: '2024-03-02T10:00:00.000Z',
  correlationId: 'req_1',
  causationId: 'req_1',
  actor: 'key_1',
  payload: { reason: 'kyc', accountId: 'acct_1' },
};
const at = { tenantId: 'tenant_1', streamType: 'account', streamId: 'acct_1', version: 1 };

describe('canonical encoding', () => {
  it('sorts object keys at every depth, writes no whitespace and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true }, u: undefined })).toBe(
      '{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}',
    );
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(RangeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
  });

  it('writes base64url without padding, as Node does', () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33]) {
      const bytes = sha256(String(length)).slice(0, length);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });
});

describe('chain links', () => {
  it('hash the documented text: encoding tag, position, the canonical event and the previous hash', () => {
    expect(chainLinkText(at, content, GENESIS_HASH)).toBe(
      '["ledgerline-chain-v1","tenant_1","account","acct_1",1,' +
        '{"actor":"key_1","causationId":"req_1","correlationId":"req_1","eventId":"evt_1",' +
        '"occurredAt":"2024-03-02T10:00:00.000Z","payload":{"accountId":"acct_1","reason":"kyc"},' +
        '"schemaVersion":1,"type":"AccountFrozen"},"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]',
    );
    expect(hex(chainHash(sha256, at, content, GENESIS_HASH))).toBe(
      createHash('sha256')
        .update(chainLinkText(at, content, GENESIS_HASH))
        .digest('hex'),
    );
  });

  it('change when any covered field, the position or the previous hash changes', () => {
    const base = chainHash(sha256, at, content, GENESIS_HASH);
    const variants = [
      chainHash(sha256, { ...at, tenantId: 'tenant_2' }, content, GENESIS_HASH),
      chainHash(sha256, { ...at, streamType: 'transfer' }, content, GENESIS_HASH),
      chainHash(sha256, { ...at, streamId: 'acct_2' }, content, GENESIS_HASH),
      chainHash(sha256, { ...at, version: 2 }, content, GENESIS_HASH),
      chainHash(sha256, at, { ...content, payload: { ...content.payload, reason: 'aml' } }, GENESIS_HASH),
      chainHash(sha256, at, { ...content, actor: 'key_2' }, GENESIS_HASH),
      chainHash(sha256, at, { ...content, occurredAt: '2024-03-02T10:00:01.000Z' }, GENESIS_HASH),
      chainHash(sha256, at, content, base),
    ];
    for (const variant of variants) expect(sameBytes(variant, base)).toBe(false);
    expect(sameBytes(chainHash(sha256, at, { ...content }, GENESIS_HASH), base)).toBe(true);
  });

  it('compare bytes exactly', () => {
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(sameBytes(undefined, new Uint8Array([1]))).toBe(false);
  });
});

describe('snapshot MAC text', () => {
  it('covers tenant, stream, version, reducer version, head hash and the canonical state', () => {
    const head = sha256('head');
    const stream = { tenantId: 'tenant_1', type: 'account', id: 'acct_1' };
    expect(snapshotMacText({ stream, version: 100, reducerVersion: 3, state: { b: 1, a: 2 } }, head)).toBe(
      `["ledgerline-chain-v1","snapshot","tenant_1","account","acct_1",100,3,"${base64url(head)}",{"a":2,"b":1}]`,
    );
  });
});

describe('Merkle root over stream heads', () => {
  const leaf = ({ stream, version, h }: { stream: string; version: number; h: Uint8Array }) =>
    createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify([stream, version, base64url(h)]))]))
      .digest();
  const node = (left: Buffer, right: Buffer) =>
    createHash('sha256')
      .update(Buffer.concat([Buffer.from([1]), left, right]))
      .digest();
  const a1 = { stream: 'account#a1', version: 5, h: sha256('a') };
  const a2 = { stream: 'account#a2', version: 1, h: sha256('b') };
  const x1 = { stream: 'transfer#x1', version: 2, h: sha256('c') };
  const heads = [x1, a1, a2];

  it('hashes sorted leaves pairwise (RFC 6962 prefixes), carrying an odd node up', () => {
    expect(hex(merkleRoot(sha256, heads))).toBe(node(node(leaf(a1), leaf(a2)), leaf(x1)).toString('hex'));
  });

  it('does not depend on the order heads are given in, and changes with any head', () => {
    const root = merkleRoot(sha256, heads);
    expect(sameBytes(merkleRoot(sha256, [...heads].reverse()), root)).toBe(true);
    const moved = heads.map((head, i) => (i === 1 ? { ...head, version: 6 } : head));
    expect(sameBytes(merkleRoot(sha256, moved), root)).toBe(false);
    expect(sameBytes(merkleRoot(sha256, heads.slice(1)), root)).toBe(false);
  });

  it('is the hash of the empty string for no heads, and the leaf for one', () => {
    expect(hex(merkleRoot(sha256, []))).toBe(createHash('sha256').update('').digest('hex'));
    expect(hex(merkleRoot(sha256, [a2]))).toBe(leaf(a2).toString('hex'));
  });
});
