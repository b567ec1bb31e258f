import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { tenantAuthorizer } from '../../composition/tenant-authorizer.ts';
import { presentedKey } from '../../domain/tenants.ts';

/** The stage's methods: `arn:…:<api>/<stage>/<METHOD>/<path>` → `arn:…:<api>/<stage>/*`. */
function stageArn(methodArn: string): string {
  const [prefix, apiId, stage] = methodArn.split('/');
  return `${prefix}/${apiId}/${stage}/*`;
}

function policy(effect: 'Allow' | 'Deny', methodArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: stageArn(methodArn) }],
  };
}

/**
 * REQUEST authorizer of every tenant route: the key (Bearer or x-api-key) → the tenant id and the key's
 * scopes in the context, and the tenant's API Gateway key as `usageIdentifierKey` (usage plans meter per
 * tenant). An unknown, revoked or expired key is 401 (`Unauthorized`); a suspended tenant is 403.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const key = presentedKey(event.headers);
  if (!key) throw new Error('Unauthorized');
  const outcome = await tenantAuthorizer().authorize(key);
  if (outcome === 'tenant-suspended')
    return { principalId: 'suspended', policyDocument: policy('Deny', event.methodArn) };
  if (typeof outcome === 'string') throw new Error('Unauthorized');
  return {
    principalId: outcome.tenantId,
    policyDocument: policy('Allow', event.methodArn),
    context: { tenantId: outcome.tenantId, keyId: outcome.keyId, scopes: outcome.scopes.join(',') },
    usageIdentifierKey: outcome.usageKey,
  };
}
