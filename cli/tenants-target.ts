// The tenants CLI's target: the tenant admin over the target's tenants table, pepper and usage plans
// (locally through the running gateway's control plane, on AWS through the `aws apigateway` CLI).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../lambdas/adapters/secrets-manager-secret.ts';
import type { TenantAdmin } from '../lambdas/application/tenant-admin.ts';
import { buildTenantAdmin } from '../lambdas/composition/tenant-admin.ts';
import type { Tier, UsagePlanKeys } from '../lambdas/domain/tenants.ts';
import { httpControl, LocalUsagePlanKeys, tierPlanIds } from '../local/api-keys.ts';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.ts';
import { OperatorError } from './errors.ts';
import { awsCli, type GlobalOptions, type OperatorTarget, output } from './target.ts';

/**
 * Tenants' API Gateway keys on a deployed stage, with the `aws` CLI: API Gateway generates each value
 * (it never appears on a command line) and the answer carries it once, to be sealed into the table.
 */
export class AwsUsagePlanKeys implements UsagePlanKeys {
  readonly #plans: Readonly<Record<Tier, string>>;
  readonly #options: GlobalOptions;
  readonly #aws: typeof awsCli;

  constructor(plans: Readonly<Record<Tier, string>>, options: GlobalOptions, aws: typeof awsCli = awsCli) {
    this.#plans = plans;
    this.#options = options;
    this.#aws = aws;
  }

  async createKey(name: string) {
    const created = (await this.#aws(
      ['apigateway', 'create-api-key', '--name', name, '--enabled'],
      this.#options,
    )) as {
      id?: string;
      value?: string;
    };
    if (!created.id || !created.value)
      throw new OperatorError('aws apigateway create-api-key answered no id or value');
    return { id: created.id, value: created.value };
  }

  async link(tier: Tier, keyId: string) {
    const plan = this.#plans[tier];
    const args = ['apigateway', 'create-usage-plan-key', '--usage-plan-id', plan, '--key-id', keyId];
    await this.#aws([...args, '--key-type', 'API_KEY'], this.#options);
  }

  async unlink(tier: Tier, keyId: string) {
    const args = [
      'apigateway',
      'delete-usage-plan-key',
      '--usage-plan-id',
      this.#plans[tier],
      '--key-id',
      keyId,
    ];
    try {
      await this.#aws(args, this.#options);
    } catch (error) {
      // Already out of the plan (an interrupted tier:set run again): nothing to undo.
      if (!/NotFoundException/.test(String(error))) throw error;
    }
  }
}

/** The tenant admin of the target (`--target local` or `--stage <name>`). */
export function tenantAdminFor(target: OperatorTarget, options: GlobalOptions): TenantAdmin {
  const plans = tierPlanIds(output(target, 'TenantTierPlans'));
  const local = target.local;
  let usagePlans: UsagePlanKeys;
  let secrets: SecretsManagerClient;
  if (local) {
    if (!local.apiUrl)
      throw new OperatorError('the local runtime serves no API', { fix: 'restart npm start' });
    usagePlans = new LocalUsagePlanKeys(httpControl(local.apiUrl), plans);
    secrets = new SecretsManagerClient({
      region: local.region,
      endpoint: local.endpoints.secretsManager,
      credentials: LOCAL_CREDENTIALS,
    });
  } else {
    usagePlans = new AwsUsagePlanKeys(plans, options);
    secrets = new SecretsManagerClient(target.clientConfig('dynamodb'));
  }
  const pepper = new CachedSecret({ client: secrets, secretId: output(target, 'TenantKeyPepperArn') });
  return buildTenantAdmin({
    client: new DynamoDBClient(target.clientConfig('dynamodb')),
    tableName: output(target, 'TenantsTableName'),
    pepper: () => pepper.value(),
    plans: usagePlans,
  }).admin;
}
