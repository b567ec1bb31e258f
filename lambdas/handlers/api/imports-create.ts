import { createImport } from '../../application/imports.ts';
import { importsApp } from '../../composition/imports.ts';
import { apiHandler } from '../../shared/api.ts';
import { importIdFor } from '../../shared/imports-ids.ts';
import { json } from '../../shared/problems.ts';
import { idempotencyKeyOf, noBody, presentImport, tenantOf } from './imports-request.ts';

/**
 * POST /imports: an import job and a presigned PUT URL for its CSV (15 minutes). The job's id derives
 * from the Idempotency-Key, so a retried request gets the same job (and a fresh URL while it waits).
 */
export const handler = apiHandler(async (event, deps: ReturnType<typeof importsApp>) => {
  const tenantId = tenantOf(event);
  noBody(event);
  const importId = importIdFor(tenantId, idempotencyKeyOf(event));
  return json(201, presentImport(await createImport(deps, tenantId, importId)));
}, importsApp);
