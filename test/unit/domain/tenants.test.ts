import { describe, expect, it } from 'vitest';
import {
  decideAccess,
  hasScope,
  type KeyRecord,
  keyStatus,
  parseScopes,
  presentedKey,
  rotationNotAfter,
  scopeForMethod,
  type TenantRecord,
} from '../../../lambdas/domain/tenants.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const tenant: TenantRecord = {
  tenantId: 't1',
  name: 'One',
  tier: 'standard',
  status: 'active',
  createdAt: '2026-01-01T00:00:00Z',
  usageKeyId: 'uk1',
  sealedUsageKey: 'sealed',
};
const key: KeyRecord = {
  keyId: 'key_1',
  tenantId: 't1',
  hash: 'ab',
  scopes: ['read', 'write'],
  createdAt: '2026-01-01T00:00:00Z',
};
const iso = (ms: number) => new Date(ms).toISOString();

describe('access decisions', () => {
  it('lets an active key of an active tenant in, with no time limit', () => {
    expect(decideAccess(key, tenant, NOW)).toEqual({ allow: true, tenant, key, validUntilMs: undefined });
  });

  it('refuses an unknown key, a key of another or missing tenant, and a suspended tenant', () => {
    expect(decideAccess(undefined, tenant, NOW)).toEqual({ allow: false, reason: 'unknown-key' });
    expect(decideAccess(key, undefined, NOW)).toEqual({ allow: false, reason: 'unknown-tenant' });
    expect(decideAccess(key, { ...tenant, tenantId: 't2' }, NOW)).toMatchObject({ reason: 'unknown-tenant' });
    expect(decideAccess(key, { ...tenant, status: 'suspended' }, NOW)).toMatchObject({
      reason: 'tenant-suspended',
    });
  });

  it('refuses a revoked key from the instant of revocation', () => {
    const revoked = { ...key, revokedAt: iso(NOW) };
    expect(decideAccess(revoked, tenant, NOW - 1)).toMatchObject({ allow: true });
    expect(decideAccess(revoked, tenant, NOW)).toEqual({ allow: false, reason: 'revoked' });
  });

  it('keeps a rotated key working until its notAfter, and says until when', () => {
    const rotated = { ...key, notAfter: rotationNotAfter(NOW, 60_000) };
    expect(decideAccess(rotated, tenant, NOW + 59_999)).toMatchObject({
      allow: true,
      validUntilMs: NOW + 60_000,
    });
    expect(decideAccess(rotated, tenant, NOW + 60_000)).toEqual({ allow: false, reason: 'expired' });
    expect(keyStatus(rotated, NOW)).toBe('expiring');
    expect(keyStatus(rotated, NOW + 60_000)).toBe('expired');
    expect(keyStatus({ ...rotated, revokedAt: iso(NOW) }, NOW)).toBe('revoked');
    expect(keyStatus(key, NOW)).toBe('active');
  });

  it('refuses a negative or fractional overlap', () => {
    expect(() => rotationNotAfter(NOW, -1)).toThrow(RangeError);
    expect(() => rotationNotAfter(NOW, 1.5)).toThrow(RangeError);
  });
});

describe('scopes', () => {
  it('needs read to GET and write for anything else', () => {
    expect(scopeForMethod('GET')).toBe('read');
    expect(scopeForMethod('post')).toBe('write');
  });

  it('are independent: admin does not imply write, write does not imply read', () => {
    expect(hasScope(['admin'], 'write')).toBe(false);
    expect(hasScope(['write'], 'read')).toBe(false);
    expect(hasScope(['read', 'write'], 'write')).toBe(true);
  });

  it('parse from a comma list into SCOPES order, refusing unknown or empty lists', () => {
    expect(parseScopes('write, read,read')).toEqual(['read', 'write']);
    expect(() => parseScopes('read,root')).toThrow(/unknown: root/);
    expect(() => parseScopes(' , ')).toThrow(RangeError);
  });
});

describe('the presented key', () => {
  it('is the Bearer token, else x-api-key, in any header case', () => {
    expect(presentedKey({ Authorization: 'Bearer llk_a', 'x-api-key': 'llk_b' })).toBe('llk_a');
    expect(presentedKey({ authorization: 'bearer llk_a' })).toBe('llk_a');
    expect(presentedKey({ 'X-Api-Key': 'llk_b' })).toBe('llk_b');
    expect(presentedKey({ Authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '  ' })).toBeUndefined();
    expect(presentedKey(null)).toBeUndefined();
  });
});
