import { describe, expect, it } from 'vitest';
import { TENANT_ENV, tenantAuthorizerConfig } from '../../../lambdas/shared/tenant-config.ts';

const env = { [TENANT_ENV.tenantsTable]: 'tenants', [TENANT_ENV.pepperSecretArn]: 'arn:pepper' };

describe('the authorizer’s config', () => {
  it('reads the table, the pepper and the cache TTL (60 s by default)', () => {
    expect(tenantAuthorizerConfig(env)).toEqual({
      tenantsTableName: 'tenants',
      pepperSecretArn: 'arn:pepper',
      cacheSeconds: 60,
    });
    expect(tenantAuthorizerConfig({ ...env, [TENANT_ENV.cacheSeconds]: '0' }).cacheSeconds).toBe(0);
  });

  it('fails fast on a missing variable or a TTL that is not 0..3600 whole seconds', () => {
    expect(() => tenantAuthorizerConfig({ [TENANT_ENV.tenantsTable]: 't' })).toThrow(
      TENANT_ENV.pepperSecretArn,
    );
    for (const bad of ['-1', '1.5', '3601', 'soon']) {
      expect(() => tenantAuthorizerConfig({ ...env, [TENANT_ENV.cacheSeconds]: bad })).toThrow(
        TENANT_ENV.cacheSeconds,
      );
    }
  });
});
