import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { peppered, sameHash } from '../../../lambdas/adapters/tenant-key-crypto.ts';
import type { TenantAdmin } from '../../../lambdas/application/tenant-admin.ts';
import { TenantAuthorizer } from '../../../lambdas/application/tenant-authorizer.ts';
import { TenantExistsError, TenantNotFoundError } from '../../../lambdas/domain/tenants.ts';
import {
  InMemoryTenants,
  InMemoryUsagePlans,
  testHashing,
  testTenantAdmin,
} from '../../support/in-memory-tenants.ts';

let now: number;
let store: InMemoryTenants;
let plans: InMemoryUsagePlans;
let admin: TenantAdmin;

function authorizer(cacheMs = 60_000, hashing = testHashing) {
  return new TenantAuthorizer({
    directory: store,
    hashing,
    openUsageKey: async (tenant) => tenant.sealedUsageKey.replace(/^sealed:/, ''),
    now: () => now,
    cacheMs,
  });
}

beforeEach(() => {
  now = Date.parse('2026-12-01T12:00:00Z');
  store = new InMemoryTenants();
  plans = new InMemoryUsagePlans();
  admin = testTenantAdmin(store, plans, () => now);
});

describe('hashing', () => {
  it('is SHA-256 of pepper ‖ key, so another pepper gives another hash', () => {
    expect(peppered('p', 'k')).toBe(createHash('sha256').update('pk').digest('hex'));
    expect(peppered('p', 'k')).toMatch(/^[0-9a-f]{64}$/);
    expect(peppered('p', 'k')).not.toBe(peppered('q', 'k'));
    expect(peppered('p', 'k')).toBe(peppered('pk', ''));
  });

  it('compares hashes in constant time, and never equals an empty or odd-length one', () => {
    const h = peppered('p', 'k');
    expect(sameHash(h, h)).toBe(true);
    expect(sameHash(h, peppered('p', 'j'))).toBe(false);
    expect(sameHash(h, h.slice(0, 62))).toBe(false);
    expect(sameHash('', '')).toBe(false);
  });
});

describe('tenants and keys', () => {
  it('creates a tenant with its own usage key in its tier plan, sealed, and keeps a given id', async () => {
    const tenant = await admin.createTenant({ tenantId: 'legacyKeyId1', name: 'Acme', tier: 'free' });
    expect(tenant).toMatchObject({ tenantId: 'legacyKeyId1', tier: 'free', status: 'active' });
    expect(plans.links.get(tenant.usageKeyId)).toBe('free');
    expect(tenant.sealedUsageKey).toMatch(/^sealed:usage-value-/);
    await expect(
      admin.createTenant({ tenantId: 'legacyKeyId1', name: 'Again', tier: 'free' }),
    ).rejects.toThrow(TenantExistsError);
    await expect(admin.createTenant({ tenantId: 'bad id', name: 'x', tier: 'free' })).rejects.toThrow(
      RangeError,
    );
  });

  it('stores only the hash of a key, and the authorizer resolves it to the tenant, scopes and usage key', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'standard' });
    const { key, secret } = await admin.createKey(tenant.tenantId, ['read']);
    expect(JSON.stringify([...store.keys.values()])).not.toContain(secret);
    expect(key.hash).toBe(await testHashing.hash(secret));
    expect(await authorizer().authorize(secret)).toEqual({
      tenantId: tenant.tenantId,
      keyId: key.keyId,
      scopes: ['read'],
      usageKey: tenant.sealedUsageKey.replace('sealed:', ''),
    });
    expect(await authorizer().authorize('llk_nope')).toBe('unknown-key');
    await expect(admin.createKey('tn_missing', ['read'])).rejects.toThrow(TenantNotFoundError);
  });

  it('decides with the constant-time comparison, not the lookup alone', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'standard' });
    const { secret } = await admin.createKey(tenant.tenantId, ['read']);
    const never = { ...testHashing, equal: () => false };
    expect(await authorizer(60_000, never).authorize(secret)).toBe('unknown-key');
  });

  it('rotates: the new key has the old scopes, the old one works for the overlap, then not', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'standard' });
    const first = await admin.createKey(tenant.tenantId, ['read', 'write']);
    const rotated = await admin.rotateKey(tenant.tenantId, first.key.keyId, 60_000);
    expect(rotated.key.scopes).toEqual(['read', 'write']);
    expect(rotated.old.notAfter).toBe(new Date(now + 60_000).toISOString());
    const auth = authorizer(3_600_000);
    expect(await auth.authorize(first.secret)).toMatchObject({ tenantId: tenant.tenantId });
    now += 60_000;
    // The grant cache never outlives the overlap, however long its TTL.
    expect(await auth.authorize(first.secret)).toBe('expired');
    expect(await auth.authorize(rotated.secret)).toMatchObject({ keyId: rotated.key.keyId });
    await expect(admin.rotateKey(tenant.tenantId, first.key.keyId, 1000)).rejects.toThrow(/expired/);
  });

  it('revokes at once in the table; a warm grant is reused only until the cache TTL', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'standard' });
    const { key, secret } = await admin.createKey(tenant.tenantId, ['read']);
    const auth = authorizer(5_000);
    expect(await auth.authorize(secret)).toMatchObject({ keyId: key.keyId });
    await admin.revokeKey(tenant.tenantId, key.keyId);
    expect(await authorizer().authorize(secret)).toBe('revoked');
    const reads = store.reads;
    expect(await auth.authorize(secret)).toMatchObject({ keyId: key.keyId });
    expect(store.reads).toBe(reads);
    now += 5_000;
    expect(await auth.authorize(secret)).toBe('revoked');
    await expect(admin.revokeKey(tenant.tenantId, 'key_missing')).rejects.toThrow(TenantNotFoundError);
  });

  it('does not cache refusals: a key created after a refusal works at once', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'standard' });
    const auth = authorizer();
    expect(await auth.authorize('llk_later')).toBe('unknown-key');
    await admin.createKey(tenant.tenantId, ['read'], 'llk_later');
    expect(await auth.authorize('llk_later')).toMatchObject({ tenantId: tenant.tenantId });
  });

  it('moves a tenant to another tier plan', async () => {
    const tenant = await admin.createTenant({ name: 'Acme', tier: 'free' });
    expect(await admin.setTier(tenant.tenantId, 'enterprise')).toMatchObject({ tier: 'enterprise' });
    expect(plans.links.get(tenant.usageKeyId)).toBe('enterprise');
    expect(store.tenants.get(tenant.tenantId)?.tier).toBe('enterprise');
  });

  it('seeds a tenant with a known key once, however often it runs', async () => {
    const input = {
      tenantId: 'seeded',
      name: 'dev',
      tier: 'standard',
      secret: 'dev-key',
      scopes: ['read'],
    } as const;
    await admin.ensureTenantWithKey(input);
    await admin.ensureTenantWithKey(input);
    expect(store.tenants.size).toBe(1);
    expect(store.keys.size).toBe(1);
    expect(await authorizer().authorize('dev-key')).toMatchObject({ tenantId: 'seeded' });
  });
});
