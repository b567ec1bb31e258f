/**
 * The authorizer's settings: the one place it reads the environment (the stack sets these names, from
 * this list, on the authorizer only).
 */
export const TENANT_ENV = {
  tenantsTable: 'TENANTS_TABLE_NAME',
  pepperSecretArn: 'TENANT_KEY_PEPPER_ARN',
  cacheSeconds: 'TENANT_AUTH_CACHE_SECONDS',
} as const;

export interface TenantAuthorizerConfig {
  readonly tenantsTableName: string;
  readonly pepperSecretArn: string;
  /** How long a container reuses an allowed key's grant (and so how long a revoked key may still work). */
  readonly cacheSeconds: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function tenantAuthorizerConfig(env: Env = process.env): TenantAuthorizerConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`Missing environment variable ${name}: the stack sets it on the authorizer`);
    return value;
  };
  const ttl = env[TENANT_ENV.cacheSeconds];
  const cacheSeconds = ttl === undefined || ttl === '' ? 60 : Number(ttl);
  if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > 3600) {
    throw new Error(`${TENANT_ENV.cacheSeconds} must be a whole number of seconds 0..3600, got '${ttl}'`);
  }
  return {
    tenantsTableName: required(TENANT_ENV.tenantsTable),
    pepperSecretArn: required(TENANT_ENV.pepperSecretArn),
    cacheSeconds,
  };
}
