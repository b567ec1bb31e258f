/** The asynchronous side of an import: the upload's validation and split, each chunk's rows, the report. */
import { ERROR_REPORT_HEADER, errorReportLine, parseHeader, parseLine } from '../domain/imports.ts';
import type { ChunkJob, ImportCounts } from '../domain/imports-ports.ts';
import { chunkLines, FileScanner } from '../domain/imports-scanner.ts';
import { type ChunkWorkerDeps, type ImportDeps, parseSourceKey, ROWS_PER_CHUNK } from './imports.ts';
import { bookLines } from './imports-rows.ts';

const SAMPLE_ROWS = 100;
const SEND_BATCH = 10;

export type UploadOutcome =
  | { readonly outcome: 'split'; readonly rows: number; readonly chunks: number }
  | { readonly outcome: 'failed'; readonly reason: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

/**
 * On upload: checks the header, the encoding (UTF-8, BOM tolerated) and the first rows, then records the
 * file's rows and chunks and sends one chunk job per 1,000 rows. Runs again harmlessly for the same file
 * (an S3 event can come twice); a second, different upload after the split is ignored.
 */
export async function validateUpload(deps: ImportDeps, eventKey: string): Promise<UploadOutcome> {
  const ids = parseSourceKey(eventKey);
  if (!ids) return { outcome: 'ignored', reason: `${eventKey} is not an import's source file` };
  const job = await deps.jobs.get(ids.tenantId, ids.importId);
  if (!job) return { outcome: 'ignored', reason: `no import ${ids.importId}` };
  if (job.status === 'done' || job.status === 'failed')
    return { outcome: 'ignored', reason: `import ${job.importId} is ${job.status}` };
  const { etag, body } = await deps.files.read(job.sourceKey);
  if (job.sourceEtag !== null && job.sourceEtag !== etag)
    return {
      outcome: 'ignored',
      reason: 'the file changed after the import started; it keeps the first one',
    };
  const scanner = new FileScanner(ROWS_PER_CHUNK, SAMPLE_ROWS);
  for await (const bytes of body) scanner.push(bytes);
  const scan = scanner.end();
  const fail = async (reason: string): Promise<UploadOutcome> => {
    await deps.jobs.fail(job, reason);
    return { outcome: 'failed', reason };
  };
  if (scan.encodingError) return fail(scan.encodingError);
  if (scan.header === undefined) return fail('the file is empty');
  const header = parseHeader(scan.header);
  if (!header.ok) return fail(header.reason);
  if (scan.rows === 0) return fail('the file has a header but no rows');
  const bad = scan.sample.flatMap((line) => {
    const parsed = parseLine(line, header.value);
    return parsed && 'reason' in parsed ? [parsed] : [];
  });
  if (bad.length * 2 > scan.sample.length) {
    const first = bad[0];
    return fail(
      `${bad.length} of the first ${scan.sample.length} rows are invalid (line ${first?.line}: ${first?.reason})`,
    );
  }
  const started = await deps.jobs.startProcessing(job, {
    etag,
    header: header.value,
    rows: scan.rows,
    chunks: scan.chunks.length,
  });
  if (!started) return { outcome: 'ignored', reason: 'another upload of this import was split first' };
  for (let i = 0; i < scan.chunks.length; i += SEND_BATCH) {
    const batch = scan.chunks.slice(i, i + SEND_BATCH);
    await deps.sendChunks(
      batch.map((chunk) => ({ tenantId: job.tenantId, importId: job.importId, etag, chunk })),
    );
  }
  return { outcome: 'split', rows: scan.rows, chunks: scan.chunks.length };
}

/**
 * One chunk job: books its rows (a re-delivered chunk books nothing twice and counts nothing twice),
 * writes its bad rows to a part of the error report, and the chunk that completes the import
 * assembles the report.
 */
export async function processChunk(
  deps: ChunkWorkerDeps,
  message: ChunkJob,
): Promise<ImportCounts | undefined> {
  const job = await deps.jobs.get(message.tenantId, message.importId);
  if (job?.status !== 'processing' || !job.header || job.sourceEtag !== message.etag) return undefined;
  const { chunk } = message;
  if (await deps.jobs.chunkRecorded(job, chunk.index)) {
    await finishIfComplete(deps, job.tenantId, job.importId);
    return undefined;
  }
  const text = await deps.files.readRange(job.sourceKey, chunk, message.etag);
  const results = await bookLines(deps, job, chunkLines(text, chunk.firstLine));
  const counts = { accepted: 0, rejected: 0, duplicate: 0 };
  const reports: string[] = [];
  for (const result of results) {
    counts[result.outcome]++;
    if (result.outcome !== 'accepted') reports.push(errorReportLine(result.report, job.header));
  }
  if (reports.length > 0) {
    await deps.files.write(
      `${job.tenantId}/${job.importId}/errors/${String(chunk.index).padStart(8, '0')}.csv`,
      reports.join(''),
    );
  }
  await deps.jobs.recordChunk(job, chunk.index, counts);
  await finishIfComplete(deps, job.tenantId, job.importId);
  return counts;
}

/** When every chunk is recorded: the error report (parts in chunk order), then done. */
export async function finishIfComplete(deps: ImportDeps, tenantId: string, importId: string): Promise<void> {
  const job = await deps.jobs.get(tenantId, importId);
  if (job?.status !== 'processing' || job.chunks === null || job.chunksDone < job.chunks) return;
  let key: string | null = null;
  if (job.rejected + job.duplicate > 0) {
    const parts = await deps.files.list(`${job.tenantId}/${job.importId}/errors/`);
    const texts = await Promise.all(parts.map((part) => deps.files.readText(part)));
    key = `${job.tenantId}/${job.importId}/errors.csv`;
    await deps.files.write(key, ERROR_REPORT_HEADER + texts.join(''));
  }
  await deps.jobs.finish(job, key);
}
