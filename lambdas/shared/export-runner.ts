import { gzipSync } from 'node:zlib';
import { postingPages } from '../application/statement.ts';
import type {
  ExportCheckpoint,
  ExportJob,
  ExportJobs,
  ExportRequest,
  MultipartUploads,
} from '../domain/exports.ts';
import { ledgerSortKey } from '../domain/projections/account-history.ts';
import type { Posting, ReadModelQueries } from '../domain/projections/read-model.ts';
import { CSV_HEADER, checksumLine, EMPTY_TOTALS, postingRecords } from './csv.ts';

/** S3's smallest part (all but the last): 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** With gzip, the compressed size of a part is checked each time this much CSV has gathered. */
export const GZIP_SOURCE_STEP = 16 * 1024 * 1024;

/** What an export reads: an account's history pages, and the tenant's whole ledger in time order. */
export interface ExportSource {
  readonly readModels: ReadModelQueries;
  /**
   * The tenant's postings after `after` (exclusive: a `ledgerSortKey`, or the period's start instant) and
   * before `to`, in (postedAt, transferId, accountId) order, keyset-paged.
   */
  ledger(tenantId: string, range: { readonly after: string; readonly to: string }): AsyncIterable<Posting>;
}

export interface ExportDeps {
  readonly jobs: ExportJobs;
  readonly uploads: MultipartUploads;
  readonly source: ExportSource;
  /** Asked after every part: true stops the run there (its checkpoint saved) to go on in another. @default never */
  readonly shouldPause?: () => boolean;
  /** Rows per history read. @default 1000 */
  readonly pageSize?: number;
  /** The smallest part but the last, and the gzip check step (tests shrink them). @default S3's 5 MiB, 16 MiB */
  readonly partSizes?: { readonly minPartBytes: number; readonly gzipSourceStep: number };
}

/**
 * The rows of the job after its cursor: a statement's account in (postedAt, transferId) order, or the
 * tenant's ledger in (postedAt, transferId, accountId) order.
 */
async function* remainingRows(deps: ExportDeps, job: ExportJob): AsyncGenerator<Posting> {
  const cursor = job.checkpoint?.cursor ?? null;
  const { from, to } = job.request;
  if (job.request.kind === 'ledger') {
    const after = cursor ? ledgerSortKey({ ...cursor.after, accountId: cursor.accountId }) : from;
    yield* deps.source.ledger(job.tenantId, { after, to });
    return;
  }
  const accountId = job.request.accountId ?? '';
  const range = { after: cursor?.after ?? { postedAt: from, transferId: '' }, to };
  for await (const page of postingPages(
    deps.source.readModels,
    job.tenantId,
    accountId,
    range,
    deps.pageSize,
  ))
    yield* page;
}

/** A part's bytes: the CSV itself, or an independent gzip member (members concatenate into one gzip file). */
function encode(text: string, gzip: boolean): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return gzip ? gzipSync(bytes, { level: 6 }) : bytes;
}

/**
 * Runs (or resumes) an export: streams rows into a multipart upload, one part at a time, and saves a
 * checkpoint after every part, so a crashed or retried run goes on from the last part with neither
 * gaps nor duplicates. A part is cut at the first row that brings it to 5 MiB (with gzip: at the first
 * 16 MiB step of CSV whose member is 5 MiB), a pure function of the rows from where it starts, so the
 * bytes are the same however many times the job stops. Memory: one part.
 */
export async function runExport(deps: ExportDeps, tenantId: string, exportId: string): Promise<ExportJob> {
  const stored = await deps.jobs.get(tenantId, exportId);
  if (!stored) throw new Error(`export ${exportId} of ${tenantId} is not stored`);
  let job: ExportJob = stored;
  if (job.status === 'completed' || job.status === 'failed') return job;
  // A run that resumes may follow one that crashed after CompleteMultipartUpload but before its last
  // checkpoint: the file is then whole, its upload id gone. The rest is replayed without uploading (its
  // bytes are a pure function of the rows), to record the totals and finish the job.
  const finished = job.checkpoint ? await deps.uploads.finished(job.key) : null;
  if (!job.checkpoint) {
    const uploadId = await deps.uploads.start(job.key);
    const checkpoint = { uploadId, parts: [], cursor: null, rows: 0, bytes: 0, totals: EMPTY_TOTALS };
    job = await deps.jobs.save({ ...job, status: 'running', checkpoint }, job.version);
  }
  if (!job.checkpoint) throw new Error(`export ${exportId} has no checkpoint after its start`);
  const gzip = job.request.gzip;
  const { minPartBytes, gzipSourceStep } = deps.partSizes ?? {
    minPartBytes: MIN_PART_BYTES,
    gzipSourceStep: GZIP_SOURCE_STEP,
  };
  let state: ExportCheckpoint = job.checkpoint;
  let text = state.cursor === null ? CSV_HEADER : '';
  let totals = state.totals;
  let cursor = state.cursor;
  let nextStep = gzipSourceStep;

  /** Uploads the part and saves the checkpoint; whether to pause after it. */
  const flush = async (last: boolean): Promise<boolean> => {
    const body = encode(text, gzip);
    const partNumber = state.parts.length + 1;
    const etag = finished ? '' : await deps.uploads.uploadPart(job.key, state.uploadId, partNumber, body);
    state = {
      ...state,
      parts: [...state.parts, { partNumber, etag }],
      cursor,
      rows: totals.rows,
      bytes: state.bytes + body.length,
      totals,
    };
    if (last && !finished) await deps.uploads.complete(job.key, state.uploadId, state.parts);
    if (last && finished && finished.parts !== state.parts.length) {
      throw new Error(
        `export ${exportId}: the finished file has ${finished.parts} parts, the replay ${state.parts.length}`,
      );
    }
    const status = last ? 'completed' : 'running';
    job = await deps.jobs.save({ ...job, status, checkpoint: state }, job.version);
    text = '';
    nextStep = gzipSourceStep;
    return !last && (deps.shouldPause?.() ?? false);
  };

  for await (const posting of remainingRows(deps, job)) {
    const records = postingRecords([posting], totals);
    text += records.text;
    totals = records.totals;
    cursor = {
      accountId: posting.accountId,
      after: { postedAt: posting.postedAt, transferId: posting.transferId },
    };
    if (!gzip && text.length >= minPartBytes && Buffer.byteLength(text) >= minPartBytes) await flush(false);
    else if (gzip && text.length >= nextStep) {
      if (encode(text, true).length >= minPartBytes) await flush(false);
      else nextStep += gzipSourceStep;
    }
  }
  text += checksumLine(totals);
  await flush(true);
  return job;
}

/** The request as stored and compared (a retry with the same key must ask for the same thing). */
export function canonicalRequest(body: {
  readonly kind: ExportRequest['kind'];
  readonly accountId?: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly gzip: boolean;
}): ExportRequest {
  return {
    kind: body.kind,
    ...(body.accountId === undefined ? {} : { accountId: body.accountId }),
    from: body.from,
    to: body.to,
    format: 'csv',
    gzip: body.gzip,
  };
}
