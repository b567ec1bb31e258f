import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ImportView } from '../../application/imports.ts';
import { idempotencyKeyOf, pathIdOf } from '../../shared/api.ts';
import { ApiError } from '../../shared/problems.ts';
import { authorizedTenant } from '../../shared/tenant-context.ts';

/** The import routes' request: the tenant from the authorizer's context only, a path id, the Idempotency-Key. */

/** The tenant from the authorizer; reading an import needs `read`, creating one `write`. */
export function tenantOf(event: APIGatewayProxyEvent): string {
  return authorizedTenant(event, event.httpMethod === 'GET' ? 'read' : 'write');
}

/** The import in the path (`invalid-path-parameter` otherwise). */
export const importIdOf = (event: APIGatewayProxyEvent): string => pathIdOf(event);

/** Required: the import's id derives from it, so a retried request finds the same import. */
export { idempotencyKeyOf };

/** Refuses a body: these routes take none. */
export function noBody(event: APIGatewayProxyEvent): void {
  const raw = event.body?.trim();
  if (raw && raw !== '{}') throw new ApiError(400, 'unexpected-body', 'This endpoint takes no request body.');
}

/** An import as the API shows it. */
export function presentImport(view: ImportView) {
  return {
    id: view.importId,
    status: view.status,
    reason: view.reason,
    retryOf: view.retryOf,
    createdAt: view.createdAt,
    rows: view.rows,
    accepted: view.accepted,
    rejected: view.rejected,
    duplicate: view.duplicate,
    pending: view.pending,
    upload: view.uploadUrl ? { method: 'PUT', url: view.uploadUrl, expiresAt: view.urlExpiresAt } : null,
    errorReport: view.errorReportUrl ? { url: view.errorReportUrl, expiresAt: view.urlExpiresAt } : null,
  };
}
