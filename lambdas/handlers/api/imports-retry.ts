import { retryRejected } from '../../application/imports.ts';
import { importsApp } from '../../composition/imports.ts';
import { apiHandler } from '../../shared/api.ts';
import { importIdFor } from '../../shared/imports-ids.ts';
import { json } from '../../shared/problems.ts';
import { idempotencyKeyOf, importIdOf, noBody, presentImport, tenantOf } from './imports-request.ts';

/**
 * POST /imports/{id}/retry-rejected: a new import (its own upload URL) for the fixed rejected rows; it
 * books only rows its parent rejected, with the same transfer ids, so nothing is booked twice.
 */
export const handler = apiHandler(async (event, deps: ReturnType<typeof importsApp>) => {
  const tenantId = tenantOf(event);
  noBody(event);
  const parentId = importIdOf(event);
  const importId = importIdFor(tenantId, idempotencyKeyOf(event), parentId);
  return json(201, presentImport(await retryRejected(deps, tenantId, parentId, importId)));
}, importsApp);
