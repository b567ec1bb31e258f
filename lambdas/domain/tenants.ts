/**
 * Tenants and their API keys (issue 12): who may call, with which scopes, and until when. Pure rules:
 * the clock, hashing and storage are the callers'.
 */

/** What a key may do: `read` (GET routes), `write` (POST routes), `admin` (routes that say so). */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Service tiers; each is one API Gateway usage plan (rate, burst, monthly quota: lib/tenants.ts). */
export const TIERS = ['free', 'standard', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** A tenant id: what the ledger's data is keyed on (today's API key ids fit, for migration). */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A tenant as the tenants table holds it. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly tier: Tier;
  readonly status: 'active' | 'suspended';
  readonly createdAt: string;
  /** The tenant's own API Gateway key (metering only: the usage plan of its tier counts against it). */
  readonly usageKeyId: string;
  /** That key's value, sealed (the authorizer returns it as `usageIdentifierKey`). */
  readonly sealedUsageKey: string;
}

/** One API key of a tenant; only its peppered hash is stored. */
export interface KeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** Hex SHA-256 of pepper ‖ key. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  /** The end of a rotation's overlap: the key is refused from this instant on. */
  readonly notAfter?: string | undefined;
  /** Set by revocation: refused from then on. */
  readonly revokedAt?: string | undefined;
}

/** Why a presented key is refused. */
export type DenyReason = 'unknown-key' | 'revoked' | 'expired' | 'unknown-tenant' | 'tenant-suspended';

/** The authorizer's decision on one key. */
export type AccessDecision =
  | {
      readonly allow: true;
      readonly tenant: TenantRecord;
      readonly key: KeyRecord;
      /** Until when the decision may be reused (a rotated key's `notAfter`), epoch ms; undefined: no limit. */
      readonly validUntilMs: number | undefined;
    }
  | { readonly allow: false; readonly reason: DenyReason };

/** Whether a key stored for a hash lets its tenant in at `nowMs`. */
export function decideAccess(
  key: KeyRecord | undefined,
  tenant: TenantRecord | undefined,
  nowMs: number,
): AccessDecision {
  if (!key) return { allow: false, reason: 'unknown-key' };
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= nowMs) {
    return { allow: false, reason: 'revoked' };
  }
  const notAfterMs = key.notAfter === undefined ? undefined : Date.parse(key.notAfter);
  if (notAfterMs !== undefined && notAfterMs <= nowMs) return { allow: false, reason: 'expired' };
  if (!tenant || tenant.tenantId !== key.tenantId) return { allow: false, reason: 'unknown-tenant' };
  if (tenant.status !== 'active') return { allow: false, reason: 'tenant-suspended' };
  return { allow: true, tenant, key, validUntilMs: notAfterMs };
}

/** The scope a route needs by default: `read` to GET, `write` to change anything. */
export function scopeForMethod(method: string): Scope {
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'read' : 'write';
}

/** Scopes are independent: `admin` does not imply `write`, nor `write` `read`. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes(needed);
}

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
export const isTier = (value: string): value is Tier => (TIERS as readonly string[]).includes(value);

/** `read,write` → the scopes, each once and in SCOPES order; an unknown or empty list is an error. */
export function parseScopes(text: string): Scope[] {
  const given = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = given.filter((s) => !isScope(s));
  if (given.length === 0 || unknown.length > 0) {
    throw new RangeError(
      `scopes must be a comma-separated subset of ${SCOPES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  }
  return SCOPES.filter((s) => given.includes(s));
}

/** The old key's `notAfter` when it is rotated at `nowMs` with an overlap (both keys work until then). */
export function rotationNotAfter(nowMs: number, overlapMs: number): string {
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0) {
    throw new RangeError(`the rotation overlap must be a whole number of ms >= 0, got ${overlapMs}`);
  }
  return new Date(nowMs + overlapMs).toISOString();
}

/** An already revoked key cannot be rotated or revoked again; an expired one cannot be rotated. */
export function keyStatus(key: KeyRecord, nowMs: number): 'active' | 'expiring' | 'expired' | 'revoked' {
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= nowMs) return 'revoked';
  if (key.notAfter === undefined) return 'active';
  return Date.parse(key.notAfter) <= nowMs ? 'expired' : 'expiring';
}

/** What the authorizer reads: a key by its hash, and its tenant (strongly consistent reads). */
export interface TenantDirectory {
  keyByHash(hash: string): Promise<KeyRecord | undefined>;
  tenant(tenantId: string): Promise<TenantRecord | undefined>;
}

/** What the operator CLI writes (nothing in the API writes the tenants table). */
export interface TenantStore extends TenantDirectory {
  /** Fails with TenantExistsError when the id is taken. */
  createTenant(tenant: TenantRecord): Promise<void>;
  setTier(tenantId: string, tier: Tier): Promise<void>;
  listTenants(): Promise<TenantRecord[]>;
  createKey(key: KeyRecord): Promise<void>;
  keysOf(tenantId: string): Promise<KeyRecord[]>;
  setKeyNotAfter(hash: string, notAfter: string): Promise<void>;
  revokeKey(hash: string, revokedAt: string): Promise<void>;
}

/** The tenants' API Gateway keys and the tier usage plans they join. */
export interface UsagePlanKeys {
  /** A new enabled key; its value is generated by API Gateway and never shown. */
  createKey(name: string): Promise<{ readonly id: string; readonly value: string }>;
  link(tier: Tier, keyId: string): Promise<void>;
  unlink(tier: Tier, keyId: string): Promise<void>;
}

/** A tenant id that is already taken. */
export class TenantExistsError extends Error {
  override name = 'TenantExistsError';
  readonly tenantId: string;
  constructor(tenantId: string) {
    super(`tenant ${tenantId} already exists`);
    this.tenantId = tenantId;
  }
}

/** A tenant or key that does not exist. */
export class TenantNotFoundError extends Error {
  override name = 'TenantNotFoundError';
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `x-api-key` (header names in any
 * case); undefined when neither is there.
 */
export function presentedKey(
  headers: Readonly<Record<string, string | undefined>> | null,
): string | undefined {
  let bearer: string | undefined;
  let apiKey: string | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') bearer = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '')?.[1];
    if (lower === 'x-api-key' && value) apiKey = value.trim() || undefined;
  }
  return bearer ?? apiKey;
}
