import { getImport } from '../../application/imports.ts';
import { importsApp } from '../../composition/imports.ts';
import { apiHandler } from '../../shared/api.ts';
import { json } from '../../shared/problems.ts';
import { importIdOf, presentImport, tenantOf } from './imports-request.ts';

/** GET /imports/{id}: status, counts, and once done the error report's presigned URL (another tenant's: 404). */
export const handler = apiHandler(async (event, deps: ReturnType<typeof importsApp>) => {
  const view = await getImport(deps, tenantOf(event), importIdOf(event));
  return json(200, presentImport(view));
}, importsApp);
