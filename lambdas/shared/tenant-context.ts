import type { APIGatewayProxyEvent } from 'aws-lambda';
import { hasScope, type Scope } from '../domain/tenants.ts';
import { ApiError } from './problems.ts';

/**
 * The caller's tenant, from the Lambda authorizer's context (`requestContext.authorizer`), never from
 * anything the caller sends: 401 without one, 403 `insufficient-scope` when the key lacks `needed`.
 */
export function authorizedTenant(event: APIGatewayProxyEvent, needed: Scope): string {
  const authorizer = event.requestContext.authorizer;
  const tenantId = typeof authorizer?.tenantId === 'string' ? authorizer.tenantId : undefined;
  if (!tenantId) {
    throw new ApiError(
      401,
      'missing-api-key',
      'This API needs an API key (Authorization: Bearer or x-api-key).',
    );
  }
  const scopes = typeof authorizer?.scopes === 'string' ? authorizer.scopes.split(',') : [];
  if (!hasScope(scopes, needed)) {
    throw new ApiError(403, 'insufficient-scope', `This API key lacks the '${needed}' scope.`, {
      requiredScope: needed,
    });
  }
  return tenantId;
}
