import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ImportView } from '../../application/imports.ts';
import { ApiError } from '../../shared/problems.ts';
import { authorizedTenant } from '../../shared/tenant-context.ts';

/** The import routes' request: the tenant from the authorizer's context only, a path id, the Idempotency-Key. */

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The tenant from the authorizer; reading an import needs `read`, creating one `write`. */
export function tenantOf(event: APIGatewayProxyEvent): string {
  return authorizedTenant(event, event.httpMethod === 'GET' ? 'read' : 'write');
}

export function importIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id;
  if (!id || !ID.test(id))
    throw new ApiError(400, 'invalid-path-parameter', "'id' must be 1-64 letters, digits, '_' or '-'.");
  return id;
}

/** Required: the import's id derives from it, so a retried request finds the same import. */
export function idempotencyKeyOf(event: APIGatewayProxyEvent): string {
  const found = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'idempotency-key',
  );
  const key = found?.[1];
  if (key === undefined)
    throw new ApiError(400, 'idempotency-key-required', 'This endpoint needs an Idempotency-Key header.');
  if (!IDEMPOTENCY_KEY.test(key))
    throw new ApiError(
      400,
      'invalid-idempotency-key',
      'Idempotency-Key must be 1-255 printable ASCII characters.',
    );
  return key;
}

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
