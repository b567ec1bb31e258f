import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTenants } from '../adapters/dynamodb-tenants.ts';
import {
  newSecretKey,
  newTenantId,
  peppered,
  sameHash,
  usageKeySealingSecret,
} from '../adapters/tenant-key-crypto.ts';
import { TenantAdmin } from '../application/tenant-admin.ts';
import type { TenantRecord, UsagePlanKeys } from '../domain/tenants.ts';
import { SecretBox } from '../shared/secret-box.ts';

/** The operator's tenant admin (the tenants CLI, the local runtime's seeding) over a tenants table. */
export function buildTenantAdmin(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly pepper: () => Promise<string>;
  readonly plans: UsagePlanKeys;
}): { readonly admin: TenantAdmin; readonly openUsageKey: (tenant: TenantRecord) => Promise<string> } {
  const { pepper } = options;
  const box = new SecretBox(async () => usageKeySealingSecret(await pepper()));
  const admin = new TenantAdmin({
    store: new DynamoDbTenants({ client: options.client, tableName: options.tableName }),
    plans: options.plans,
    hashing: { hash: async (key) => peppered(await pepper(), key), equal: sameHash },
    newSecret: newSecretKey,
    newId: newTenantId,
    sealUsageKey: (value, tenantId) => box.seal(value, tenantId),
    now: Date.now,
  });
  return { admin, openUsageKey: (tenant) => box.open(tenant.sealedUsageKey, tenant.tenantId) };
}
