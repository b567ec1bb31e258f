import { exportsApi } from '../../composition/exports.ts';
import { AccountNotFoundError } from '../../domain/errors.ts';
import type { ExportJob } from '../../domain/exports.ts';
import { commandRoute } from '../../shared/api.ts';
import { exportIdFor } from '../../shared/command-ids.ts';
import { canonicalRequest } from '../../shared/export-runner.ts';
import { ApiError } from '../../shared/problems.ts';
import { presentExport } from './export-present.ts';
import { createExportBody } from './export-schemas.ts';

/**
 * POST /exports: creates the job (its id derives from the tenant and the Idempotency-Key, so a retry
 * finds the same job) and enqueues it; 202 with the job. The same key with another request is 422.
 */
export const { main, handler } = commandRoute(exportsApi, {
  body: createExportBody,
  status: 202,
  requireIdempotencyKey: true,
  replayResponses: false,
  run: async (deps, { tenantId, body, idempotencyKey }) => {
    const request = canonicalRequest(body);
    if (request.accountId !== undefined && !(await deps.readModels.account(tenantId, request.accountId)))
      throw new AccountNotFoundError(request.accountId);
    const exportId = exportIdFor(tenantId, idempotencyKey ?? '');
    const extension = request.gzip ? 'csv.gz' : 'csv';
    const job: ExportJob = {
      tenantId,
      exportId,
      request,
      status: 'queued',
      key: `exports/${tenantId}/${exportId}.${extension}`,
      checkpoint: null,
      version: 0,
    };
    const stored = await deps.jobs.create(job);
    if (JSON.stringify(stored.request) !== JSON.stringify(request)) {
      throw new ApiError(
        422,
        'exists-with-different-fields',
        `Export ${exportId} exists with another request`,
        {
          exportId,
        },
      );
    }
    // Again on a retry: the worker does nothing for a job that is done, and goes on with one that is not.
    if (stored.status === 'queued') await deps.enqueue({ tenantId, exportId });
    return stored;
  },
  present: (job) => presentExport(job, null, Date.now()),
});
