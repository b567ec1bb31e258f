import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  type ExportJob,
  type ExportJobs,
  type ExportRequest,
  exportProgress,
  type MultipartUploads,
  type UploadedPart,
} from '../../../lambdas/domain/exports.ts';
import { ledgerSortKey } from '../../../lambdas/domain/projections/account-history.ts';
import type { Posting, ReadModelQueries } from '../../../lambdas/domain/projections/read-model.ts';
import { CSV_HEADER, parseChecksumLine } from '../../../lambdas/shared/csv.ts';
import { type ExportDeps, type ExportSource, runExport } from '../../../lambdas/shared/export-runner.ts';
import { posting } from './statement-fixtures.ts';

const PART = 16 * 1024;
const SIZES = { minPartBytes: PART, gzipSourceStep: 4 * PART };

/** Histories of accounts, `count` postings each, a second apart, as the read model pages them. */
function ledger(accounts: Record<string, number>): ReadModelQueries {
  const rows = new Map<string, Posting[]>();
  for (const [accountId, count] of Object.entries(accounts)) {
    rows.set(
      accountId,
      Array.from({ length: count }, (_, i) =>
        posting({
          accountId,
          transferId: `tr_${accountId}_${String(i).padStart(6, '0')}`,
          postedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
          direction: i % 3 === 0 ? 'debit' : 'credit',
          amount: 1 + ((i * 7919) % 100_000),
          counterpartyAccountId: i % 5 === 0 ? 'acc,"quoted"' : 'acc_other',
        }),
      ),
    );
  }
  const key = (p: { postedAt: string; transferId: string }) => `${p.postedAt}#${p.transferId}`;
  const views = {
    postings: async (
      _t: string,
      accountId: string,
      after: { postedAt: string; transferId: string } | null,
      limit: number,
    ) => {
      const history = rows.get(accountId);
      if (!history) return null;
      const start = after ? history.filter((row) => key(row) <= key(after)).length : 0;
      return { rows: history.slice(start, start + limit), more: start + limit < history.length };
    },
  };
  return views as unknown as ReadModelQueries;
}

/** The by-tenant-time index over the same histories: every row in ledger sort-key order. */
function tenantLedger(views: ReadModelQueries): ExportSource['ledger'] {
  return async function* (tenantId, range) {
    const all: Posting[] = [];
    for (const accountId of ['acc_1', 'acc_2', 'acc_3']) {
      all.push(...((await views.postings(tenantId, accountId, null, 1e9))?.rows ?? []));
    }
    all.sort((a, b) => (ledgerSortKey(a) < ledgerSortKey(b) ? -1 : 1));
    for (const row of all) if (ledgerSortKey(row) > range.after && row.postedAt < range.to) yield row;
  };
}

class MemoryJobs implements ExportJobs {
  readonly items = new Map<string, ExportJob>();
  failNextSave = false;
  async get(tenantId: string, exportId: string) {
    return this.items.get(`${tenantId}#${exportId}`) ?? null;
  }
  async create(job: ExportJob) {
    const k = `${job.tenantId}#${job.exportId}`;
    if (!this.items.has(k)) this.items.set(k, job);
    return this.items.get(k) ?? job;
  }
  async save(job: ExportJob, expected: number) {
    const k = `${job.tenantId}#${job.exportId}`;
    if (this.items.get(k)?.version !== expected) throw new Error('moved');
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new Error('crash between the part and its checkpoint');
    }
    const saved = { ...job, version: expected + 1 };
    this.items.set(k, saved);
    return saved;
  }
}

/** S3 as the runner sees it; it refuses a part below the minimum but the last, as S3 does on completion. */
class MemoryUploads implements MultipartUploads {
  readonly uploads = new Map<string, Map<number, Buffer>>();
  readonly files = new Map<string, Buffer>();
  partSizes: number[] = [];
  uploadCalls = 0;
  crashAtUpload: number | undefined;
  async start(key: string) {
    const id = `up${this.uploads.size + 1}:${key}`;
    this.uploads.set(id, new Map());
    return id;
  }
  async uploadPart(_key: string, uploadId: string, partNumber: number, body: Uint8Array) {
    this.uploadCalls++;
    if (this.uploadCalls === this.crashAtUpload) throw new Error('worker crashed');
    this.uploads.get(uploadId)?.set(partNumber, Buffer.from(body));
    return `"etag-${partNumber}-${body.length}"`;
  }
  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]) {
    const stored = this.uploads.get(uploadId);
    if (!stored) throw new Error('NoSuchUpload');
    const bodies = parts.map((p) => stored.get(p.partNumber) ?? Buffer.alloc(0));
    this.partSizes = bodies.map((b) => b.length);
    if (bodies.slice(0, -1).some((b) => b.length < PART)) throw new Error('EntityTooSmall');
    this.files.set(key, Buffer.concat(bodies));
  }
  async finished(key: string) {
    return this.files.has(key) ? { parts: this.partSizes.length } : null;
  }
}

const request = (overrides: Partial<ExportRequest> = {}): ExportRequest => ({
  kind: 'account-statement',
  accountId: 'acc_1',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  format: 'csv',
  gzip: false,
  ...overrides,
});

async function exportOnce(
  views: ReadModelQueries,
  req: ExportRequest,
  crash?: (u: MemoryUploads, j: MemoryJobs) => void,
) {
  const jobs = new MemoryJobs();
  const uploads = new MemoryUploads();
  const deps: ExportDeps = {
    jobs,
    uploads,
    source: { readModels: views, ledger: tenantLedger(views) },
    pageSize: 100,
    partSizes: SIZES,
  };
  const key = `exports/t1/exp_1.csv${req.gzip ? '.gz' : ''}`;
  await jobs.create({
    tenantId: 't1',
    exportId: 'exp_1',
    request: req,
    status: 'queued',
    key,
    checkpoint: null,
    version: 0,
  });
  let runs = 0;
  crash?.(uploads, jobs);
  for (;;) {
    runs++;
    try {
      const job = await runExport(deps, 't1', 'exp_1');
      return { job, file: uploads.files.get(key) ?? Buffer.alloc(0), runs, uploads };
    } catch (error) {
      if (runs > 5) throw error;
    }
  }
}

describe('the export worker', () => {
  const views = ledger({ acc_1: 3000, acc_2: 1200, acc_3: 0 });

  it('writes the header, every row of the period and the checksum line, in parts of the minimum size', async () => {
    const { job, file, runs, uploads } = await exportOnce(views, request());
    expect(runs).toBe(1);
    const text = file.toString();
    const lines = text.split('\r\n');
    expect(`${lines[0]}\r\n`).toBe(CSV_HEADER);
    expect(parseChecksumLine(`${lines.at(-2)}\r\n`)).toMatchObject({ rows: 3000 });
    expect(uploads.partSizes.length).toBeGreaterThan(3);
    expect(job).toMatchObject({ status: 'completed', checkpoint: { rows: 3000, bytes: file.length } });
    expect(job.checkpoint?.parts.map((p) => p.partNumber)).toEqual(uploads.partSizes.map((_, i) => i + 1));
  });

  it('resumes a job that crashed after a part from its checkpoint: the same bytes, no row twice or missing', async () => {
    const whole = await exportOnce(views, request());
    const crashed = await exportOnce(views, request(), (uploads) => {
      uploads.crashAtUpload = 3;
    });
    expect(crashed.runs).toBe(2);
    expect(crashed.file.equals(whole.file)).toBe(true);
    const between = await exportOnce(views, request(), (_uploads, jobs) => {
      jobs.failNextSave = true;
    });
    expect(between.runs).toBe(2);
    expect(between.file.equals(whole.file)).toBe(true);
  });

  it('gzips each part as its own member: the file gunzips to the CSV, and resumes byte for byte', async () => {
    const plain = await exportOnce(views, request());
    const whole = await exportOnce(views, request({ gzip: true }));
    expect(gunzipSync(whole.file).equals(plain.file)).toBe(true);
    expect(whole.uploads.partSizes.length).toBeGreaterThan(1);
    const crashed = await exportOnce(views, request({ gzip: true }), (uploads) => {
      uploads.crashAtUpload = 2;
    });
    expect(crashed.runs).toBe(2);
    expect(crashed.file.equals(whole.file)).toBe(true);
  });

  it('exports the whole ledger in (postedAt, transferId, accountId) order, resuming mid-period', async () => {
    const whole = await exportOnce(views, request({ kind: 'ledger', accountId: undefined }));
    const rows = whole.file.toString().split('\r\n').slice(1, -2);
    expect(rows).toHaveLength(4200);
    const keys = rows.map((r) => {
      const [accountId = '', postedAt = '', transferId = ''] = r.split(',');
      return ledgerSortKey({ accountId, postedAt, transferId });
    });
    expect(keys).toEqual([...keys].sort());
    // The two accounts interleave by time: acc_2's first posting is the second row.
    expect(rows[1]?.split(',')[0]).toBe('acc_2');
    for (const crashAt of [2, 6]) {
      const crashed = await exportOnce(views, request({ kind: 'ledger', accountId: undefined }), (u) => {
        u.crashAtUpload = crashAt;
      });
      expect(crashed.file.equals(whole.file), `crash at upload ${crashAt}`).toBe(true);
    }
  });

  it('reports a ledger job’s progress by how far into the period its last row is', async () => {
    const { job } = await exportOnce(views, request({ kind: 'ledger', accountId: undefined }));
    const halfway = {
      ...job,
      status: 'running' as const,
      checkpoint: job.checkpoint && {
        ...job.checkpoint,
        cursor: { accountId: 'acc_1', after: { postedAt: '2026-11-16T00:00:00.000Z', transferId: 'tr_x' } },
      },
    };
    expect(exportProgress(halfway, Date.parse('2027-01-01')).percent).toBe(50);
  });

  it('keeps to [from, to) and does nothing more for a completed job', async () => {
    const { job, file } = await exportOnce(
      views,
      request({ from: '2026-11-01T00:10:00.000Z', to: '2026-11-01T00:20:00.000Z' }),
    );
    expect(parseChecksumLine(`${file.toString().split('\r\n').at(-2)}\r\n`)?.rows).toBe(600);
    expect(job.status).toBe('completed');
  });
});
