// The local runtime's tenants: the keys it is started with (each a tenant of its own, as before tenants existed)
// and the tenants a persisted tenants table already holds, registered with the gateway's key registry.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildTenantAdmin } from '../lambdas/composition/tenant-admin.ts';
import { SCOPES } from '../lambdas/domain/tenants.ts';
import { type ApiKeyRegistry, LocalUsagePlanKeys, registryControl, tierPlanIds } from './api-keys.ts';
import type { ApiKey } from './api-model.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { stableId } from './naming.ts';

/** A stable id for an API key value, so a tenant keyed on `apiKeyId` survives restarts. */
export function apiKeyIdFor(value: string): string {
  return stableId(`api-key/${value}`);
}

function envKeys(options: { readonly apiKeys?: readonly string[] }): string[] {
  if (options.apiKeys) return [...options.apiKeys];
  return (process.env.LEDGERLINE_LOCAL_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

/** The environment's keys, then the development key (last), each its own tenant. */
export function extraApiKeys(options: { readonly apiKeys?: readonly string[] }, stackName: string): ApiKey[] {
  const devValue = `dev-${stableId(`${stackName}/dev-key`, 28)}`;
  const key = (value: string, name: string, source: ApiKey['source']): ApiKey => ({
    id: apiKeyIdFor(value),
    value,
    name,
    source,
    enabled: true,
    validForStage: true,
  });
  return [
    ...envKeys(options).map((value, i) => key(value, `env-${i + 1}`, 'env')),
    key(devValue, 'dev', 'dev'),
  ];
}

/**
 * A stack with a tenants table (Ledgerline): every tenant already in it gets its usage key back in the
 * gateway's registry (data kept with --persist), then each extra key becomes a tenant of its own (id
 * `apiKeyIdFor(value)`, as before tenants existed, tier standard, every scope) holding that key.
 */
export async function seedTenants(input: {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  readonly pepper: string;
  readonly plansOutput: string;
  readonly registry: ApiKeyRegistry;
  readonly seeds: readonly ApiKey[];
}): Promise<void> {
  const plans = tierPlanIds(input.plansOutput);
  const { admin, openUsageKey } = buildTenantAdmin({
    client: new DynamoDBClient({
      endpoint: input.endpoint,
      region: input.region,
      credentials: LOCAL_CREDENTIALS,
    }),
    tableName: input.tableName,
    pepper: async () => input.pepper,
    plans: new LocalUsagePlanKeys(registryControl(input.registry), plans),
  });
  for (const tenant of await admin.listTenants()) {
    const value = await openUsageKey(tenant);
    input.registry.restore({ id: tenant.usageKeyId, name: tenant.name, value, planId: plans[tenant.tier] });
  }
  for (const seed of input.seeds) {
    const tenant = { tenantId: seed.id, name: seed.name, tier: 'standard', secret: seed.value } as const;
    await admin.ensureTenantWithKey({ ...tenant, scopes: SCOPES });
  }
}
