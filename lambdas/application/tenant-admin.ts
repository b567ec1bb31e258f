import {
  type KeyRecord,
  keyStatus,
  rotationNotAfter,
  type Scope,
  TENANT_ID_PATTERN,
  TenantExistsError,
  TenantNotFoundError,
  type TenantRecord,
  type TenantStore,
  type Tier,
  type UsagePlanKeys,
} from '../domain/tenants.ts';
import type { KeyHashing } from './tenant-authorizer.ts';

export interface TenantAdminDeps {
  readonly store: TenantStore;
  readonly plans: UsagePlanKeys;
  readonly hashing: KeyHashing;
  /** A new secret key (high entropy; shown once). */
  readonly newSecret: () => string;
  /** A new id with a prefix (`tn`, `key`). */
  readonly newId: (prefix: string) => string;
  /** Seals the tenant's usage key value, bound to the tenant id. */
  readonly sealUsageKey: (value: string, tenantId: string) => Promise<string>;
  readonly now: () => number;
}

/** A key as created: its record, and the secret (returned once, never stored). */
export interface IssuedKey {
  readonly key: KeyRecord;
  readonly secret: string;
}

/** The operator's use cases on tenants and keys (run by the `tenants` CLI and the local runtime's seeding). */
export class TenantAdmin {
  readonly #deps: TenantAdminDeps;

  constructor(deps: TenantAdminDeps) {
    this.#deps = deps;
  }

  /** A tenant with its own API Gateway key in its tier's usage plan; `tenantId` keeps an existing id. */
  async createTenant(input: { tenantId?: string; name: string; tier: Tier }): Promise<TenantRecord> {
    const { store, plans } = this.#deps;
    const tenantId = input.tenantId ?? this.#deps.newId('tn');
    if (!TENANT_ID_PATTERN.test(tenantId)) {
      throw new RangeError(`a tenant id is 1-64 letters, digits, '_' or '-', got '${tenantId}'`);
    }
    if (await store.tenant(tenantId)) throw new TenantExistsError(tenantId);
    const usageKey = await plans.createKey(`tenant-${tenantId}`);
    await plans.link(input.tier, usageKey.id);
    const tenant: TenantRecord = {
      tenantId,
      name: input.name,
      tier: input.tier,
      status: 'active',
      createdAt: this.#iso(),
      usageKeyId: usageKey.id,
      sealedUsageKey: await this.#deps.sealUsageKey(usageKey.value, tenantId),
    };
    await store.createTenant(tenant);
    return tenant;
  }

  /** A new key of the tenant; `secret` imports a known value (the local runtime's seeded keys). */
  async createKey(tenantId: string, scopes: readonly Scope[], secret?: string): Promise<IssuedKey> {
    await this.#tenant(tenantId);
    const value = secret ?? this.#deps.newSecret();
    const key: KeyRecord = {
      keyId: this.#deps.newId('key'),
      tenantId,
      hash: await this.#deps.hashing.hash(value),
      scopes: [...scopes],
      createdAt: this.#iso(),
    };
    await this.#deps.store.createKey(key);
    return { key, secret: value };
  }

  /** A new key with the old one's scopes; the old one keeps working until now + `overlapMs`. */
  async rotateKey(
    tenantId: string,
    keyId: string,
    overlapMs: number,
  ): Promise<IssuedKey & { readonly old: KeyRecord }> {
    const old = await this.#key(tenantId, keyId);
    const status = keyStatus(old, this.#deps.now());
    if (status === 'revoked' || status === 'expired') {
      throw new RangeError(`key ${keyId} is ${status}: create a new key instead`);
    }
    const notAfter = rotationNotAfter(this.#deps.now(), overlapMs);
    const issued = await this.createKey(tenantId, old.scopes);
    // An earlier, shorter overlap stays.
    const kept = old.notAfter !== undefined && old.notAfter < notAfter ? old.notAfter : notAfter;
    await this.#deps.store.setKeyNotAfter(old.hash, kept);
    return { ...issued, old: { ...old, notAfter: kept } };
  }

  /** Refuses the key from now on (the authorizer's cache may serve it for its TTL). */
  async revokeKey(tenantId: string, keyId: string): Promise<KeyRecord> {
    const key = await this.#key(tenantId, keyId);
    if (key.revokedAt !== undefined) return key;
    const revokedAt = this.#iso();
    await this.#deps.store.revokeKey(key.hash, revokedAt);
    return { ...key, revokedAt };
  }

  /**
   * Moves the tenant's usage key to the new tier's plan. A key is in one plan per stage, so the old link
   * goes first; if the second step fails, the tenant is refused (never unmetered): run it again.
   */
  async setTier(tenantId: string, tier: Tier): Promise<TenantRecord> {
    const tenant = await this.#tenant(tenantId);
    if (tenant.tier === tier) return tenant;
    const { plans, store } = this.#deps;
    await plans.unlink(tenant.tier, tenant.usageKeyId);
    await plans.link(tier, tenant.usageKeyId);
    await store.setTier(tenantId, tier);
    return { ...tenant, tier };
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (await this.#deps.store.listTenants()).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async listKeys(tenantId: string): Promise<KeyRecord[]> {
    await this.#tenant(tenantId);
    return (await this.#deps.store.keysOf(tenantId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * The tenant with this key, created when missing (idempotent: the local runtime seeds the keys it
   * prints this way on every start).
   */
  async ensureTenantWithKey(input: {
    tenantId: string;
    name: string;
    tier: Tier;
    secret: string;
    scopes: readonly Scope[];
  }): Promise<void> {
    if (!(await this.#deps.store.tenant(input.tenantId))) await this.createTenant(input);
    const hash = await this.#deps.hashing.hash(input.secret);
    if (!(await this.#deps.store.keyByHash(hash)))
      await this.createKey(input.tenantId, input.scopes, input.secret);
  }

  async #tenant(tenantId: string): Promise<TenantRecord> {
    const tenant = await this.#deps.store.tenant(tenantId);
    if (!tenant) throw new TenantNotFoundError(`no tenant ${tenantId}`);
    return tenant;
  }

  async #key(tenantId: string, keyId: string): Promise<KeyRecord> {
    await this.#tenant(tenantId);
    const key = (await this.#deps.store.keysOf(tenantId)).find((k) => k.keyId === keyId);
    if (!key) throw new TenantNotFoundError(`tenant ${tenantId} has no key ${keyId}`);
    return key;
  }

  #iso(): string {
    return new Date(this.#deps.now()).toISOString();
  }
}
