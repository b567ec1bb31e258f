/** The ports of bulk imports (issue 14): the jobs and row claims, and the files. Adapters implement them. */
import type { ChunkRange, ImportHeader } from './imports.ts';

export type ImportStatus = 'awaiting-upload' | 'processing' | 'done' | 'failed';

export interface ImportCounts {
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicate: number;
}

export interface ImportJob extends ImportCounts {
  readonly tenantId: string;
  readonly importId: string;
  /** The import whose rows this one books (itself, or the first of a chain of retries). */
  readonly rootImportId: string;
  readonly retryOf: string | null;
  readonly status: ImportStatus;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly sourceKey: string;
  readonly sourceEtag: string | null;
  readonly header: ImportHeader | null;
  readonly rows: number | null;
  readonly chunks: number | null;
  readonly chunksDone: number;
  readonly errorReportKey: string | null;
}

/** What a row's claim found: a new claim, this line's earlier outcome, another line's, or (retry) no rejected row. */
export type RowClaim =
  | { readonly kind: 'new' }
  | { readonly kind: 'settled'; readonly outcome: 'accepted' | 'rejected'; readonly reason: string }
  | { readonly kind: 'duplicate'; readonly line: number; readonly importId: string }
  | { readonly kind: 'not-rejected' };

export interface RowKey {
  readonly tenantId: string;
  readonly rootImportId: string;
  readonly importId: string;
  readonly rowId: string;
  readonly line: number;
}

/** A claimed row's outcome. */
export interface RowSettlement extends RowKey {
  readonly outcome: 'accepted' | 'rejected';
  readonly reason: string;
}

export interface ImportJobs {
  /** Creates the job unless one has its id; returns the stored one. */
  create(job: ImportJob): Promise<ImportJob>;
  get(tenantId: string, importId: string): Promise<ImportJob | undefined>;
  /** awaiting-upload → processing (or the same again for the same file); undefined if another file won. */
  startProcessing(
    job: ImportJob,
    scan: { etag: string; header: ImportHeader; rows: number; chunks: number },
  ): Promise<ImportJob | undefined>;
  fail(job: ImportJob, reason: string): Promise<void>;
  /** Adds a chunk's counts once; false when the chunk was already recorded. */
  recordChunk(job: ImportJob, chunk: number, counts: ImportCounts): Promise<boolean>;
  chunkRecorded(job: ImportJob, chunk: number): Promise<boolean>;
  finish(job: ImportJob, errorReportKey: string | null): Promise<void>;
  /**
   * Claims row ids for lines, one claim per row in order: the root import claims a free id, a retry a
   * rejected one. When two of the rows share an id, the first claims it and the later one is its
   * duplicate; a line that claimed its id before (an earlier delivery) finds its own claim.
   */
  claimRows(rows: readonly RowKey[], retry: boolean): Promise<RowClaim[]>;
  /** Records claimed rows' outcomes; a row whose line no longer holds the claim is an error. */
  settleRows(rows: readonly RowSettlement[]): Promise<void>;
}

export interface ImportFiles {
  uploadUrl(key: string, expiresInSeconds: number): Promise<string>;
  downloadUrl(key: string, expiresInSeconds: number): Promise<string>;
  /** The object's bytes in order, and its ETag. */
  read(key: string): Promise<{ readonly etag: string; readonly body: AsyncIterable<Uint8Array> }>;
  /** Bytes [start, end) as text, only if the object still has `etag`. */
  readRange(key: string, range: { start: number; end: number }, etag: string): Promise<string>;
  write(key: string, text: string): Promise<void>;
  /** Keys under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  readText(key: string): Promise<string>;
}

export interface ChunkJob {
  readonly tenantId: string;
  readonly importId: string;
  readonly etag: string;
  readonly chunk: ChunkRange;
}
