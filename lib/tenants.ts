import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, Billing, type CfnGlobalTable, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TENANT_KEYS_INDEX } from '../lambdas/adapters/dynamodb-tenants.ts';
import type { Tier } from '../lambdas/domain/tenants.ts';
import { TENANT_ENV } from '../lambdas/shared/tenant-config.ts';
import { ApiFunction } from './api-function.ts';

/** What a tier's usage plan allows each tenant: requests per second, burst, and requests per month. */
export interface TierLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly monthlyQuota: number;
}

/** The tiers, one usage plan each (the one table to change them in). */
export const TIER_LIMITS: Readonly<Record<Tier, TierLimits>> = {
  free: { rateLimit: 5, burstLimit: 10, monthlyQuota: 10_000 },
  standard: { rateLimit: 50, burstLimit: 100, monthlyQuota: 1_000_000 },
  enterprise: { rateLimit: 500, burstLimit: 1000, monthlyQuota: 50_000_000 },
};

/** Stable logical ids: the local runtime and the CLI find the table and the pepper by them. */
export const TENANTS_TABLE_ID = 'TenantsTable';
export const TENANT_KEY_PEPPER_ID = 'TenantKeyPepper';

/** Properties of {@link Tenants}. */
export interface TenantsProps {
  /** Production: deletion protection on the table. @default false */
  readonly production?: boolean;
  /**
   * How long a warm authorizer reuses an allowed key's grant; a revoked key may work this long.
   * @default Duration.seconds(60)
   */
  readonly cacheTtl?: Duration;
}

/**
 * Tenants and their API keys: the tenants table (keys stored as SHA-256(pepper ‖ key)), the pepper (a
 * Secrets Manager secret generated at deploy), and the REQUEST authorizer every tenant route runs.
 * API Gateway's own result cache is off: it can key only on identity sources that are all present,
 * and a key comes in either of two headers; the function caches grants for `cacheTtl` instead.
 */
export class Tenants extends Construct {
  public readonly table: TableV2;
  public readonly pepper: Secret;
  public readonly authorizerFunction: ApiFunction;
  public readonly authorizer: RequestAuthorizer;

  constructor(scope: Construct, id: string, props: TenantsProps = {}) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: TENANT_KEYS_INDEX,
          partitionKey: { name: 'tenantId', type: AttributeType.STRING },
          sortKey: { name: 'keyId', type: AttributeType.STRING },
        },
      ],
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.production ?? false,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.table.node.defaultChild as CfnGlobalTable).overrideLogicalId(TENANTS_TABLE_ID);

    this.pepper = new Secret(this, 'Pepper', {
      description: 'Pepper of the API key hashes in the tenants table (SHA-256 of pepper and key)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.pepper.node.defaultChild as CfnSecret).overrideLogicalId(TENANT_KEY_PEPPER_ID);
    Validations.of(this.pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the pepper would invalidate every stored key hash; keys rotate instead (tenants keys:rotate).',
    });

    const cacheTtl = props.cacheTtl ?? Duration.seconds(60);
    this.authorizerFunction = new ApiFunction(this, 'Authorizer', {
      entry: 'lambdas/handlers/authorizer/authorizer.ts',
      timeout: Duration.seconds(5),
      environment: {
        [TENANT_ENV.tenantsTable]: this.table.tableName,
        [TENANT_ENV.pepperSecretArn]: this.pepper.secretArn,
        [TENANT_ENV.cacheSeconds]: String(cacheTtl.toSeconds()),
      },
    });
    // Least privilege: the authorizer reads single items of the tenants table, and the pepper.
    Grant.addToPrincipal({
      grantee: this.authorizerFunction.function,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
    });
    this.pepper.grantRead(this.authorizerFunction.function);

    this.authorizer = new RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
  }
}
