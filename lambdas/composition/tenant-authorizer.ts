import { DynamoDbTenants } from '../adapters/dynamodb-tenants.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import { peppered, sameHash, usageKeySealingSecret } from '../adapters/tenant-key-crypto.ts';
import { TenantAuthorizer } from '../application/tenant-authorizer.ts';
import { SecretBox } from '../shared/secret-box.ts';
import { tenantAuthorizerConfig } from '../shared/tenant-config.ts';
import { dynamoDbClient, perContainer, secretsManagerClient } from './container.ts';

/** The authorizer's composition root: the tenants table, the pepper, and the grant cache. */
export const tenantAuthorizer = perContainer((): TenantAuthorizer => {
  const config = tenantAuthorizerConfig();
  const pepper = new CachedSecret({ client: secretsManagerClient(), secretId: config.pepperSecretArn });
  const box = new SecretBox(async () => usageKeySealingSecret(await pepper.value()));
  return new TenantAuthorizer({
    directory: new DynamoDbTenants({ client: dynamoDbClient(), tableName: config.tenantsTableName }),
    hashing: { hash: async (key) => peppered(await pepper.value(), key), equal: sameHash },
    openUsageKey: (tenant) => box.open(tenant.sealedUsageKey, tenant.tenantId),
    now: Date.now,
    cacheMs: config.cacheSeconds * 1000,
  });
});
