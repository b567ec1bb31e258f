import {
  type DenyReason,
  decideAccess,
  type Scope,
  type TenantDirectory,
  type TenantRecord,
} from '../domain/tenants.ts';

/** Peppered hashing of presented keys, and the constant-time comparison of two hashes. */
export interface KeyHashing {
  hash(key: string): Promise<string>;
  /** Whether two hex hashes are equal, in time that does not depend on where they differ. */
  equal(a: string, b: string): boolean;
}

/** What a valid key lets through: the tenant, the key's scopes, and the tenant's usage-plan key. */
export interface Grant {
  readonly tenantId: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  readonly usageKey: string;
}

export interface TenantAuthorizerDeps {
  readonly directory: TenantDirectory;
  readonly hashing: KeyHashing;
  /** The value of the tenant's API Gateway key (opened from its sealed copy). */
  readonly openUsageKey: (tenant: TenantRecord) => Promise<string>;
  readonly now: () => number;
  /** How long an allowed key's grant is reused without reading the table (revocation takes up to this). */
  readonly cacheMs: number;
  /** Most grants kept; the oldest goes first. @default 10_000 */
  readonly maxCached?: number;
}

/**
 * Resolves a presented key to a grant: hash it with the pepper, read the key by its hash, compare the
 * stored hash in constant time, apply revocation and rotation windows, then the tenant's status.
 * Grants are cached per container for `cacheMs` (never past a rotated key's `notAfter`); refusals are
 * not cached, so a new key works at once.
 */
export class TenantAuthorizer {
  readonly #deps: TenantAuthorizerDeps;
  readonly #cache = new Map<string, { readonly grant: Grant; readonly untilMs: number }>();

  constructor(deps: TenantAuthorizerDeps) {
    this.#deps = deps;
  }

  async authorize(presented: string): Promise<Grant | DenyReason> {
    const { directory, hashing, now } = this.#deps;
    const hash = await hashing.hash(presented);
    const cached = this.#cache.get(hash);
    const nowMs = now();
    if (cached && nowMs < cached.untilMs) return cached.grant;
    this.#cache.delete(hash);
    const stored = await directory.keyByHash(hash);
    // The table lookup is by hash; the comparison that decides is constant-time.
    const key = stored && hashing.equal(stored.hash, hash) ? stored : undefined;
    const tenant = key ? await directory.tenant(key.tenantId) : undefined;
    const decision = decideAccess(key, tenant, nowMs);
    if (!decision.allow) return decision.reason;
    const grant: Grant = {
      tenantId: decision.tenant.tenantId,
      keyId: decision.key.keyId,
      scopes: decision.key.scopes,
      usageKey: await this.#deps.openUsageKey(decision.tenant),
    };
    const untilMs = Math.min(nowMs + this.#deps.cacheMs, decision.validUntilMs ?? Number.POSITIVE_INFINITY);
    if (this.#cache.size >= (this.#deps.maxCached ?? 10_000)) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(hash, { grant, untilMs });
    return grant;
  }
}
