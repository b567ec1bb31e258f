/** The asynchronous side of an import: the upload's validation and split, each chunk's rows, the report. */
import { LedgerError } from '../domain/errors.ts';
import {
  ERROR_REPORT_HEADER,
  errorReportLine,
  type ImportRow,
  isRowId,
  parseHeader,
  parseLine,
  type RejectedRow,
} from '../domain/imports.ts';
import type { ChunkJob, ImportCounts, ImportJob } from '../domain/imports-ports.ts';
import { chunkLines, FileScanner } from '../domain/imports-scanner.ts';
import { createTransfer } from './commands.ts';
import { type ChunkWorkerDeps, type ImportDeps, parseSourceKey, ROWS_PER_CHUNK } from './imports.ts';
import { retryOnConflict } from './retry.ts';

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

type RowResult =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'rejected' | 'duplicate'; readonly report: RejectedRow };

/** Books one row unless its id is another line's; a rule's refusal is a rejection, anything else throws. */
async function bookRow(
  deps: ChunkWorkerDeps,
  job: ImportJob,
  line: number,
  row: ImportRow,
  fields: readonly string[],
): Promise<RowResult> {
  const key = {
    tenantId: job.tenantId,
    rootImportId: job.rootImportId,
    importId: job.importId,
    rowId: row.rowId,
    line,
  };
  const report = (reason: string): RejectedRow => ({ line, rowId: row.rowId, reason, fields });
  const claim = await deps.jobs.claimRow(key, job.retryOf !== null);
  if (claim.kind === 'duplicate') {
    const where =
      claim.importId === job.importId
        ? `line ${claim.line}`
        : `line ${claim.line} of import ${claim.importId}`;
    return {
      outcome: 'duplicate',
      report: report(`duplicate: row_id ${row.rowId} is already used by ${where}`),
    };
  }
  if (claim.kind === 'not-rejected')
    return {
      outcome: 'rejected',
      report: report(`row_id ${row.rowId} is not a rejected row of import ${job.rootImportId}`),
    };
  if (claim.kind === 'settled')
    return claim.outcome === 'accepted'
      ? { outcome: 'accepted' }
      : { outcome: 'rejected', report: report(claim.reason) };
  const ctx = {
    tenantId: job.tenantId,
    correlationId: job.importId,
    causationId: `${job.importId}:${line}`,
    actor: `import:${job.importId}`,
  };
  const id = deps.transferIdFor(job.tenantId, `import:${job.rootImportId}`, row.rowId);
  try {
    await retryOnConflict(
      (loadCache) =>
        createTransfer(loadCache ? { ...deps.ports, loadCache } : deps.ports, ctx, {
          id,
          debitAccountId: row.fromAccount,
          creditAccountId: row.toAccount,
          amount: row.amount,
          currency: row.currency,
          reference: row.reference,
        }),
      deps.retry,
    );
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    await deps.jobs.settleRow(key, 'rejected', error.message);
    return { outcome: 'rejected', report: report(error.message) };
  }
  await deps.jobs.settleRow(key, 'accepted', '');
  return { outcome: 'accepted' };
}

/**
 * A row refused before booking: its row id (when it is one) is claimed as rejected, so that a retry of the
 * import may book the fixed row; an id another line holds stays that line's.
 */
async function rejectRow(deps: ChunkWorkerDeps, job: ImportJob, rejected: RejectedRow): Promise<RowResult> {
  if (isRowId(rejected.rowId)) {
    const key = {
      tenantId: job.tenantId,
      rootImportId: job.rootImportId,
      importId: job.importId,
      rowId: rejected.rowId,
      line: rejected.line,
    };
    const claim = await deps.jobs.claimRow(key, job.retryOf !== null);
    if (claim.kind === 'new') await deps.jobs.settleRow(key, 'rejected', rejected.reason);
  }
  return { outcome: 'rejected', report: rejected };
}

/**
 * Rows that share an account wait for each other (in file order): within a chunk they would only
 * race on the account's stream and spend conflict retries; rows of distinct accounts run at once.
 */
class AccountLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<R>(accounts: readonly string[], work: () => Promise<R>): Promise<R> {
    const keys = [...new Set(accounts)];
    const before = keys.map((k) => this.#tails.get(k) ?? Promise.resolve());
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const k of keys) this.#tails.set(k, mine);
    try {
      await Promise.all(before);
      return await work();
    } finally {
      release();
      for (const k of keys) if (this.#tails.get(k) === mine) this.#tails.delete(k);
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once, results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
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
  const header = job.header;
  const text = await deps.files.readRange(job.sourceKey, chunk, message.etag);
  const lines = chunkLines(text, chunk.firstLine);
  const locks = new AccountLocks();
  const results = await mapLimited(
    lines,
    deps.rowConcurrency,
    async (numbered): Promise<RowResult | undefined> => {
      const parsed = parseLine(numbered, header);
      if (parsed === undefined) return undefined;
      if ('reason' in parsed) return rejectRow(deps, job, parsed);
      const { row } = parsed;
      return locks.run([row.fromAccount, row.toAccount], () =>
        bookRow(deps, job, parsed.line, row, parsed.fields),
      );
    },
  );
  const counts = { accepted: 0, rejected: 0, duplicate: 0 };
  const reports: string[] = [];
  for (const result of results) {
    if (!result) continue;
    counts[result.outcome]++;
    if (result.outcome !== 'accepted') reports.push(errorReportLine(result.report, header));
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
