// Tenants and keys in the template (no bundling): the authorizer on every tenant route, the key source,
// one usage plan per tier, and who may touch the tenants table and the pepper.
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../lambdas/domain/tenants.ts';
import { TENANT_ENV } from '../../lambdas/shared/tenant-config.ts';
import { isPublic, ROUTES } from '../../lib/routes.ts';
import { TIER_LIMITS } from '../../lib/tenants.ts';
import {
  allows,
  allStatements,
  logicalId,
  methodPath,
  ofType,
  only,
  resource,
  type Statement,
  stack,
  synthesizeStack,
  touches,
  WRITES,
} from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('tenants and keys', () => {
  it('runs the REQUEST authorizer on every non-public route, and none on the public ones', () => {
    const [authorizerId, authorizer] = only('AWS::ApiGateway::Authorizer');
    expect(authorizer.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(
      logicalId(stack.tenants.authorizerFunction.function),
    );
    const publicRoutes = new Set(ROUTES.filter(isPublic).map((r) => `${r.method} ${r.path}`));
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods.length).toBe(ROUTES.length);
    for (const [id, m] of methods) {
      const route = `${String(m.Properties.HttpMethod)} ${methodPath(m.Properties.ResourceId)}`;
      if (publicRoutes.has(route)) {
        expect(m.Properties, id).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: false });
        expect(m.Properties.AuthorizerId, id).toBeUndefined();
      } else {
        expect(m.Properties, id).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
          ApiKeyRequired: true,
        });
      }
    }
  });

  it('takes the usage key from the authorizer', () => {
    const [, api] = only('AWS::ApiGateway::RestApi');
    expect(api.Properties.ApiKeySourceType).toBe('AUTHORIZER');
    // No key in the template: each tenant's key is created by the tenants CLI.
    expect(ofType('AWS::ApiGateway::ApiKey')).toEqual([]);
  });

  it('has one usage plan per tier on the stage, with the table’s rate, burst and monthly quota', () => {
    const [stageId] = only('AWS::ApiGateway::Stage');
    const plans = ofType('AWS::ApiGateway::UsagePlan');
    expect(plans.length).toBe(TIERS.length);
    for (const tier of TIERS) {
      const plan = resource(logicalId(stack.api.tierPlans[tier]));
      expect(plan.Properties).toMatchObject({
        UsagePlanName: `ledgerline-${tier}`,
        ApiStages: [{ ApiId: { Ref: logicalId(stack.api.api) }, Stage: { Ref: stageId } }],
        Throttle: { RateLimit: TIER_LIMITS[tier].rateLimit, BurstLimit: TIER_LIMITS[tier].burstLimit },
        Quota: { Limit: TIER_LIMITS[tier].monthlyQuota, Period: 'MONTH' },
      });
    }
  });

  it('keeps tenants in an on-demand table with PITR (its lifetime is the stage’s), and a pepper generated at deploy', () => {
    const table = resource('TenantsTable');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [
        expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
    const pepper = resource('TenantKeyPepper');
    expect(pepper.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(pepper.Properties.SecretString).toBeUndefined();
  });

  it('lets the authorizer GetItem the tenants table and read the pepper, nothing more; no role writes either', () => {
    const authorizerRole = logicalId(stack.tenants.authorizerFunction.role);
    const env = resource(logicalId(stack.tenants.authorizerFunction.function)).Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables).toMatchObject({
      [TENANT_ENV.tenantsTable]: { Ref: 'TenantsTable' },
      [TENANT_ENV.pepperSecretArn]: { Ref: 'TenantKeyPepper' },
      [TENANT_ENV.cacheSeconds]: '5',
    });
    const names = (id: string, s: Statement) => JSON.stringify(s.Resource).includes(`"${id}"`);
    let granted = 0;
    for (const { roleId, statement } of allStatements()) {
      if (names('TenantsTable', statement)) {
        expect(roleId).toBe(authorizerRole);
        expect(statement.Action).toBe('dynamodb:GetItem');
        granted++;
      }
      if (names('TenantKeyPepper', statement)) {
        expect(roleId).toBe(authorizerRole);
        expect(allows(statement, 'secretsmanager:PutSecretValue')).toBe(false);
      }
      // A statement on Resource '*' may write no table, so not the tenants table either.
      if (touches(statement, 'TenantsTable')) {
        for (const write of WRITES) expect(allows(statement, write), `${roleId} ${write}`).toBe(false);
      }
    }
    expect(granted).toBe(1);
  });
});
