// The export worker on the local S3 (fauxqs): a run that crashed after CompleteMultipartUpload but before
// its last checkpoint is finished by the next run, which finds the file whole (no upload, no failure).
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ExportUploads } from '../../../lambdas/adapters/s3-export-uploads.ts';
import type { ExportJob, ExportJobs, MultipartUploads } from '../../../lambdas/domain/exports.ts';
import type {
  Posting,
  PostingPosition,
  ReadModelQueries,
} from '../../../lambdas/domain/projections/read-model.ts';
import { parseChecksumLine } from '../../../lambdas/shared/csv.ts';
import { type ExportDeps, runExport } from '../../../lambdas/shared/export-runner.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';
import { localS3Client } from '../../support/export-local-s3.ts';
import { posting } from '../shared/statement-fixtures.ts';

const REGION = 'eu-west-1';
const BUCKET = 'exports-test';
/** About 7.8 MB of CSV: two parts (the first of 5 MiB, S3's smallest but the last). */
const ROWS = 70_000;

let sqs: SqsEmulator;
let s3: S3Client;

beforeAll(async () => {
  sqs = await startSqsEmulator({ region: REGION });
  sqs.createBucket(BUCKET);
  s3 = localS3Client(sqs.endpoint, REGION);
});
afterAll(async () => {
  s3?.destroy();
  await sqs?.stop();
});

const START = Date.UTC(2026, 0, 1);
const row = (i: number): Posting =>
  posting({
    transferId: `tr_${String(i).padStart(8, '0')}`,
    postedAt: new Date(START + i * 1000).toISOString(),
    direction: i % 2 ? 'debit' : 'credit',
    amount: 1 + i,
  });

/** One account's history of ROWS rows, paged as the read model pages it. */
const history = {
  postings: async (_t: string, _a: string, after: PostingPosition | null, limit: number) => {
    const start = after ? (Date.parse(after.postedAt) - START) / 1000 + (after.transferId ? 1 : 0) : 0;
    const end = Math.min(ROWS, start + limit);
    return { rows: Array.from({ length: end - start }, (_, k) => row(start + k)), more: end < ROWS };
  },
} as unknown as ReadModelQueries;

/** Jobs in memory; `crashOnCompleted` makes the save of the completed job fail once (the worker died there). */
class Jobs implements ExportJobs {
  readonly items = new Map<string, ExportJob>();
  crashOnCompleted = false;
  async get(_t: string, exportId: string) {
    return this.items.get(exportId) ?? null;
  }
  async create(job: ExportJob) {
    this.items.set(job.exportId, this.items.get(job.exportId) ?? job);
    return this.items.get(job.exportId) ?? job;
  }
  async save(job: ExportJob, expected: number) {
    if (this.items.get(job.exportId)?.version !== expected) throw new Error('moved');
    if (job.status === 'completed' && this.crashOnCompleted) {
      this.crashOnCompleted = false;
      throw new Error('worker died after CompleteMultipartUpload');
    }
    const saved = { ...job, version: expected + 1 };
    this.items.set(job.exportId, saved);
    return saved;
  }
}

/** The bucket, counting what each run sends. */
function counted(files: MultipartUploads) {
  const calls = { parts: 0, completes: 0 };
  const uploads: MultipartUploads = {
    start: (key) => files.start(key),
    uploadPart: (key, id, n, body) => {
      calls.parts++;
      return files.uploadPart(key, id, n, body);
    },
    complete: (key, id, parts) => {
      calls.completes++;
      return files.complete(key, id, parts);
    },
    finished: (key) => files.finished(key),
  };
  return { uploads, calls };
}

async function exportFile(exportId: string, crash: boolean) {
  const jobs = new Jobs();
  jobs.crashOnCompleted = crash;
  const { uploads, calls } = counted(new S3ExportUploads(s3, BUCKET));
  const key = `exports/t1/${exportId}.csv`;
  await jobs.create({
    tenantId: 't1',
    exportId,
    request: {
      kind: 'account-statement',
      accountId: 'acc_1',
      from: '2026-01-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
      format: 'csv',
      gzip: false,
    },
    status: 'queued',
    key,
    checkpoint: null,
    version: 0,
  });
  const deps: ExportDeps = { jobs, uploads, source: { readModels: history, ledger: async function* () {} } };
  const runs: { parts: number; completes: number; error?: string }[] = [];
  let job: ExportJob | undefined;
  while (!job && runs.length < 3) {
    const before = { ...calls };
    job = await runExport(deps, 't1', exportId).catch((error: Error) => {
      runs.push({
        parts: calls.parts - before.parts,
        completes: calls.completes - before.completes,
        error: error.message,
      });
      return undefined;
    });
    if (job) runs.push({ parts: calls.parts - before.parts, completes: calls.completes - before.completes });
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { job, runs, file: Buffer.from((await object.Body?.transformToByteArray()) ?? []) };
}

describe('an export on the local S3', () => {
  it('finishes a job whose last run completed the upload but died before its checkpoint', async () => {
    const whole = await exportFile('exp_whole', false);
    const crashed = await exportFile('exp_crashed', true);
    expect(whole.runs).toEqual([{ parts: 2, completes: 1 }]);
    expect(crashed.runs).toEqual([
      { parts: 2, completes: 1, error: 'worker died after CompleteMultipartUpload' },
      // The next run finds the file whole: it uploads nothing and completes nothing.
      { parts: 0, completes: 0 },
    ]);
    expect(crashed.file.equals(whole.file)).toBe(true);
    expect(crashed.job).toMatchObject({
      status: 'completed',
      checkpoint: { rows: ROWS, bytes: whole.file.length, totals: whole.job?.checkpoint?.totals },
    });
    expect(crashed.job?.checkpoint?.parts).toHaveLength(2);
    expect(parseChecksumLine(`${crashed.file.toString().split('\r\n').at(-2)}\r\n`)?.rows).toBe(ROWS);
  });
});
