import { exportsReadApi } from '../../composition/exports.ts';
import { queryRoute } from '../../shared/api.ts';
import { ApiError } from '../../shared/problems.ts';
import { presentExport } from './export-present.ts';

/** GET /exports/{id}: the job's progress, then a presigned GET URL of the file and its expiry. */
export const { main, handler } = queryRoute(exportsReadApi, {
  run: async (deps, { tenantId, pathParameters }) => {
    const exportId = pathParameters.id ?? '';
    const job = await deps.jobs.get(tenantId, exportId);
    if (!job) throw new ApiError(404, 'export-not-found', `Export ${exportId} does not exist`, { exportId });
    const link = job.status === 'completed' ? await deps.presign(job.key) : null;
    return { job, link };
  },
  present: ({ job, link }) => presentExport(job, link, Date.now()),
});
