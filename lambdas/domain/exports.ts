import type { PostingPosition } from './projections/read-model.ts';

/** The control totals of rows written: the checksum line's, and a checkpoint's. */
export interface CsvTotals {
  readonly rows: number;
  /** Sums of the debit and credit amounts, in minor units (decimal strings: a ledger's sums pass 2^53). */
  readonly debits: string;
  readonly credits: string;
}

/** What `POST /exports` asks for: one account's statement or the tenant's whole ledger, for `[from, to)`. */
export interface ExportRequest {
  readonly kind: 'account-statement' | 'ledger';
  readonly accountId?: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly format: 'csv';
  readonly gzip: boolean;
}

/** Where the rows written so far end: the last posting written (its account, time and transfer). */
export interface ExportCursor {
  readonly accountId: string;
  readonly after: PostingPosition;
}

/** One uploaded part. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
}

/** The state a resumed job starts from: saved after every part (conditional on `version`). */
export interface ExportCheckpoint {
  readonly uploadId: string;
  readonly parts: readonly UploadedPart[];
  /** Where the next part starts; null before the first row. */
  readonly cursor: ExportCursor | null;
  readonly rows: number;
  /** Bytes uploaded (compressed when gzip). */
  readonly bytes: number;
  /** The running control totals (the checksum line's). */
  readonly totals: CsvTotals;
}

export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed';

/** An export job as stored (tenant-scoped). */
export interface ExportJob {
  readonly tenantId: string;
  readonly exportId: string;
  readonly request: ExportRequest;
  readonly status: ExportStatus;
  /** The object key of the file. */
  readonly key: string;
  readonly checkpoint: ExportCheckpoint | null;
  readonly failure?: string | undefined;
  /** Optimistic lock: every save expects the version it read. */
  readonly version: number;
}

/** Stores jobs; `save` fails (JobMovedError) when the job's version is no longer `expected`. */
export interface ExportJobs {
  get(tenantId: string, exportId: string): Promise<ExportJob | null>;
  /** Creates the job unless it exists; answers the stored one. */
  create(job: ExportJob): Promise<ExportJob>;
  save(job: ExportJob, expected: number): Promise<ExportJob>;
}

/** An S3 multipart upload. */
export interface MultipartUploads {
  start(key: string): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string>;
  complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void>;
  /**
   * The object at `key` if an upload to it was completed: how many parts it was made of; null when there
   * is no object (only CompleteMultipartUpload creates one, and each job has its own key).
   */
  finished(key: string): Promise<{ readonly parts: number } | null>;
}

/** Progress of a job: what is written, and an estimate of how far through its accounts and period it is. */
export interface ExportProgress {
  readonly rows: number;
  readonly bytes: number;
  readonly parts: number;
  /** 0-100; 100 only when completed. */
  readonly percent: number;
}

/**
 * The estimate: how far the last row written is into the period (its end capped at `nowMs`, so an
 * open-ended period does not read as 0 %); rows are written in time order, a statement's and the ledger's.
 */
export function exportProgress(job: ExportJob, nowMs: number): ExportProgress {
  const checkpoint = job.checkpoint;
  const written = {
    rows: checkpoint?.rows ?? 0,
    bytes: checkpoint?.bytes ?? 0,
    parts: checkpoint?.parts.length ?? 0,
  };
  if (job.status === 'completed') return { ...written, percent: 100 };
  const cursor = checkpoint?.cursor;
  if (!cursor) return { ...written, percent: 0 };
  const from = Date.parse(job.request.from);
  const to = Math.min(Date.parse(job.request.to), nowMs);
  const into = to > from ? (Date.parse(cursor.after.postedAt) - from) / (to - from) : 0;
  return { ...written, percent: Math.min(99, Math.floor(100 * Math.min(1, Math.max(0, into)))) };
}
