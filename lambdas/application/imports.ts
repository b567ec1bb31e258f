/**
 * Bulk imports (issue 14): create a job with an upload URL, validate the uploaded file early and cut it
 * into chunk jobs, book each chunk's rows as idempotent transfers, and assemble the error report. Every
 * step may run twice (at-least-once delivery): a row's transfer id derives from (tenant, the first
 * import of its file, row id), a chunk's counts are recorded once, and a row id claimed by one line
 * makes any other line with it a duplicate.
 */
import { ImportNotFoundError, ImportNotRetryableError } from '../domain/imports.ts';
import type { ChunkJob, ImportFiles, ImportJob, ImportJobs } from '../domain/imports-ports.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import type { ConflictRetryOptions } from './retry.ts';

export interface ImportDeps {
  readonly jobs: ImportJobs;
  readonly files: ImportFiles;
  readonly sendChunks: (jobs: readonly ChunkJob[]) => Promise<void>;
  readonly now: () => Date;
}

export interface ChunkWorkerDeps extends ImportDeps {
  readonly ports: LedgerPorts;
  readonly retry: ConflictRetryOptions;
  /** Rows booked at once within a chunk. */
  readonly rowConcurrency: number;
  /** Derives a row's transfer id (lambdas/shared/command-ids.ts `transferIdFor`). */
  readonly transferIdFor: (tenantId: string, route: string, key: string) => string;
}

export const UPLOAD_URL_SECONDS = 15 * 60;
export const ROWS_PER_CHUNK = 1000;

export const sourceKey = (tenantId: string, importId: string) => `${tenantId}/${importId}/source.csv`;

/** The tenant and import of an uploaded object's key (as an S3 event gives it: URL-encoded). */
export function parseSourceKey(eventKey: string): { tenantId: string; importId: string } | undefined {
  const key = decodeURIComponent(eventKey.replace(/\+/g, ' '));
  const match = /^([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,64})\/source\.csv$/.exec(key);
  return match?.[1] && match[2] ? { tenantId: match[1], importId: match[2] } : undefined;
}

export interface ImportView extends ImportJob {
  readonly pending: number | null;
  readonly uploadUrl: string | null;
  readonly errorReportUrl: string | null;
  readonly urlExpiresAt: string | null;
}

async function view(deps: ImportDeps, job: ImportJob, withUpload: boolean): Promise<ImportView> {
  const expires = new Date(deps.now().getTime() + UPLOAD_URL_SECONDS * 1000).toISOString();
  const uploadUrl =
    withUpload && job.status === 'awaiting-upload'
      ? await deps.files.uploadUrl(job.sourceKey, UPLOAD_URL_SECONDS)
      : null;
  const errorReportUrl = job.errorReportKey
    ? await deps.files.downloadUrl(job.errorReportKey, UPLOAD_URL_SECONDS)
    : null;
  const done = job.accepted + job.rejected + job.duplicate;
  return {
    ...job,
    pending: job.rows === null ? null : Math.max(0, job.rows - done),
    uploadUrl,
    errorReportUrl,
    urlExpiresAt: uploadUrl || errorReportUrl ? expires : null,
  };
}

function newJob(deps: ImportDeps, tenantId: string, importId: string, parent?: ImportJob): ImportJob {
  return {
    tenantId,
    importId,
    rootImportId: parent?.rootImportId ?? importId,
    retryOf: parent?.importId ?? null,
    status: 'awaiting-upload',
    reason: null,
    createdAt: deps.now().toISOString(),
    sourceKey: sourceKey(tenantId, importId),
    sourceEtag: null,
    header: null,
    rows: null,
    chunks: null,
    chunksDone: 0,
    accepted: 0,
    rejected: 0,
    duplicate: 0,
    errorReportKey: null,
  };
}

/** POST /imports: the job (the same one for the same Idempotency-Key) and a fresh upload URL. */
export async function createImport(
  deps: ImportDeps,
  tenantId: string,
  importId: string,
): Promise<ImportView> {
  return view(deps, await deps.jobs.create(newJob(deps, tenantId, importId)), true);
}

/** POST /imports/{id}/retry-rejected: a new import that books only rows the parent rejected (fixed). */
export async function retryRejected(
  deps: ImportDeps,
  tenantId: string,
  parentId: string,
  importId: string,
): Promise<ImportView> {
  const parent = await deps.jobs.get(tenantId, parentId);
  if (!parent) throw new ImportNotFoundError(parentId);
  if (parent.status !== 'done') throw new ImportNotRetryableError(parentId, `it is ${parent.status}`);
  if (parent.rejected === 0) throw new ImportNotRetryableError(parentId, 'it rejected no row');
  return view(deps, await deps.jobs.create(newJob(deps, tenantId, importId, parent)), true);
}

export async function getImport(deps: ImportDeps, tenantId: string, importId: string): Promise<ImportView> {
  const job = await deps.jobs.get(tenantId, importId);
  if (!job) throw new ImportNotFoundError(importId);
  return view(deps, job, true);
}
