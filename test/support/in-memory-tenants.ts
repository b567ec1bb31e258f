import { createHash } from 'node:crypto';
import { TenantAdmin } from '../../lambdas/application/tenant-admin.ts';
import type { KeyHashing } from '../../lambdas/application/tenant-authorizer.ts';
import {
  type KeyRecord,
  TenantExistsError,
  TenantNotFoundError,
  type TenantRecord,
  type TenantStore,
  type Tier,
  type UsagePlanKeys,
} from '../../lambdas/domain/tenants.ts';

/** The tenants table in memory, with a count of reads (the authorizer's cache is seen through it). */
export class InMemoryTenants implements TenantStore {
  readonly tenants = new Map<string, TenantRecord>();
  readonly keys = new Map<string, KeyRecord>();
  reads = 0;

  async keyByHash(hash: string) {
    this.reads++;
    return this.keys.get(hash);
  }
  async tenant(tenantId: string) {
    this.reads++;
    return this.tenants.get(tenantId);
  }
  async createTenant(tenant: TenantRecord) {
    if (this.tenants.has(tenant.tenantId)) throw new TenantExistsError(tenant.tenantId);
    this.tenants.set(tenant.tenantId, tenant);
  }
  async setTier(tenantId: string, tier: Tier) {
    this.tenants.set(tenantId, { ...this.#tenant(tenantId), tier });
  }
  async listTenants() {
    return [...this.tenants.values()];
  }
  async createKey(key: KeyRecord) {
    this.keys.set(key.hash, key);
  }
  async keysOf(tenantId: string) {
    return [...this.keys.values()].filter((k) => k.tenantId === tenantId);
  }
  async setKeyNotAfter(hash: string, notAfter: string) {
    this.keys.set(hash, { ...this.#key(hash), notAfter });
  }
  async revokeKey(hash: string, revokedAt: string) {
    this.keys.set(hash, { ...this.#key(hash), revokedAt });
  }
  #tenant(id: string): TenantRecord {
    const tenant = this.tenants.get(id);
    if (!tenant) throw new TenantNotFoundError(id);
    return tenant;
  }
  #key(hash: string): KeyRecord {
    const key = this.keys.get(hash);
    if (!key) throw new TenantNotFoundError(hash);
    return key;
  }
}

/** Usage plans in memory: which plan each key is linked to. */
export class InMemoryUsagePlans implements UsagePlanKeys {
  readonly links = new Map<string, Tier>();
  #next = 0;
  async createKey(name: string) {
    this.#next++;
    return { id: `uk${this.#next}`, value: `usage-value-${this.#next}-${name}` };
  }
  async link(tier: Tier, keyId: string) {
    if (this.links.has(keyId)) throw new Error(`key ${keyId} is already in a plan of this stage`);
    this.links.set(keyId, tier);
  }
  async unlink(_tier: Tier, keyId: string) {
    this.links.delete(keyId);
  }
}

/** SHA-256 of a fixed pepper and the key; equality as plain string comparison is enough for fakes. */
export const testHashing: KeyHashing = {
  hash: async (key) => createHash('sha256').update(`pepper${key}`).digest('hex'),
  equal: (a, b) => a === b,
};

/** A tenant admin over in-memory ports: ids and secrets count up, usage keys are "sealed:<value>". */
export function testTenantAdmin(store: TenantStore, plans: UsagePlanKeys, now: () => number): TenantAdmin {
  let ids = 0;
  return new TenantAdmin({
    store,
    plans,
    hashing: testHashing,
    newSecret: () => `llk_secret_${++ids}`,
    newId: (prefix) => `${prefix}_${++ids}`,
    sealUsageKey: async (value) => `sealed:${value}`,
    now,
  });
}
