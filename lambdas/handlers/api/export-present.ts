import { type ExportJob, exportProgress } from '../../domain/exports.ts';

/** The public shape of an export job (the link only once the file is complete). */
export function presentExport(
  job: ExportJob,
  link: { readonly url: string; readonly expiresAt: string } | null,
  nowMs: number,
) {
  const { request } = job;
  return {
    id: job.exportId,
    status: job.status,
    kind: request.kind,
    ...(request.accountId === undefined ? {} : { accountId: request.accountId }),
    from: request.from,
    to: request.to,
    format: request.format,
    gzip: request.gzip,
    progress: exportProgress(job, nowMs),
    ...(job.status === 'completed' && job.checkpoint ? { checksum: job.checkpoint.totals } : {}),
    ...(link ? { url: link.url, urlExpiresAt: link.expiresAt } : {}),
  };
}
