// Export and statement throughput, time to first byte and peak RSS (issue 14). One JSON line.
//
// The worker and the statement handler run in-process over a synthetic history that the read-model
// port pages as DynamoDB would (1,000 rows a page, generated on demand: nothing is held but a page);
// parts go to a counting sink instead of S3. So the figures are the CPU path of one worker (CSV, checksums,
// part cutting, checkpoints); the AWS projection adds the documented service limits. Each size runs in a
// child process of its own, so its peak RSS is its own, with a 96 MB heap cap: the 1M-row run (a 118 MiB
// file) finishing under it shows that what is kept does not grow with the rows.
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ExportJob, ExportJobs, MultipartUploads } from '../lambdas/domain/exports.ts';
import type { Posting, PostingPosition, ReadModelQueries } from '../lambdas/domain/projections/read-model.ts';
import { streamStatement } from '../lambdas/handlers/api/statement-stream.ts';
import { runExport } from '../lambdas/shared/export-runner.ts';
import { emitResult, progress } from './support/output.ts';

const START = Date.UTC(2026, 0, 1);

/** Row `i` of a history of `count` rows, one a millisecond. */
const row = (i: number): Posting => ({
  accountId: 'acc_bench',
  transferId: `tr_${String(i).padStart(10, '0')}`,
  postedAt: new Date(START + i).toISOString(),
  type: 'TransferPosted',
  direction: i % 2 ? 'debit' : 'credit',
  amount: 1 + ((i * 7919) % 1_000_000),
  currency: 'USD',
  counterpartyAccountId: 'acc_counterparty_0001',
  postedBalanceAfter: i * 3,
  accountVersion: i + 2,
});

function history(count: number): ReadModelQueries {
  const views = {
    postings: async (_t: string, _a: string, after: PostingPosition | null, limit: number) => {
      const start = after ? Math.max(0, Date.parse(after.postedAt) - START + (after.transferId ? 1 : 0)) : 0;
      const end = Math.min(count, start + limit);
      return {
        rows: Array.from({ length: Math.max(0, end - start) }, (_, k) => row(start + k)),
        more: end < count,
      };
    },
  };
  return views as unknown as ReadModelQueries;
}

async function child(rows: number) {
  let stored: ExportJob = {
    tenantId: 't',
    exportId: 'exp_bench',
    request: {
      kind: 'account-statement',
      accountId: 'acc_bench',
      from: new Date(START).toISOString(),
      to: '2100-01-01T00:00:00.000Z',
      format: 'csv',
      gzip: false,
    },
    status: 'queued',
    key: 'exports/t/exp_bench.csv',
    checkpoint: null,
    accounts: null,
    version: 0,
  };
  const jobs: ExportJobs = {
    get: async () => stored,
    create: async (job) => job,
    save: async (job, expected) => {
      stored = { ...job, version: expected + 1 };
      return stored;
    },
  };
  let bytes = 0;
  const uploads: MultipartUploads = {
    start: async () => 'upload',
    finished: async () => null,
    uploadPart: async (_k, _u, n, body) => {
      bytes += body.length;
      return `"${n}"`;
    },
    complete: async () => {},
  };
  const views = history(rows);
  const started = performance.now();
  const job = await runExport(
    { jobs, uploads, source: { readModels: views, ledger: async function* () {} } },
    't',
    'exp_bench',
  );
  const seconds = (performance.now() - started) / 1000;

  // The streamed statement of the same history: time to its first byte, and to its last.
  const out = new PassThrough();
  let first = 0;
  let streamed = 0;
  out.on('data', (chunk: Buffer) => {
    if (first === 0) first = performance.now();
    streamed += chunk.length;
  });
  const event = {
    path: '/accounts/acc_bench/statement.csv',
    pathParameters: { id: 'acc_bench' },
    queryStringParameters: null,
    requestContext: { identity: { apiKeyId: 't' } },
  } as unknown as APIGatewayProxyEvent;
  const sent = performance.now();
  await streamStatement(event, out, { ports: undefined as never, readModels: views }, (s) => s);
  const statementSeconds = (performance.now() - sent) / 1000;
  return {
    rows,
    exportRowsPerSecond: Math.round(rows / seconds),
    exportSeconds: Number(seconds.toFixed(2)),
    fileMiB: Number((bytes / 2 ** 20).toFixed(1)),
    parts: job.checkpoint?.parts.length ?? 0,
    statementTtfbMs: Number((first - sent).toFixed(1)),
    statementRowsPerSecond: Math.round(rows / statementSeconds),
    statementMiB: Number((streamed / 2 ** 20).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(await child(Number(process.argv[3])))}\n`);
} else {
  const sizes = [100_000, 1_000_000];
  const runs = sizes.map((rows) => {
    progress(`export and statement of ${rows} rows (own process)`);
    const out = execFileSync(
      process.execPath,
      ['--max-old-space-size=96', import.meta.filename, '--child', String(rows)],
      {
        encoding: 'utf8',
      },
    );
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<typeof child>>;
  });
  const big = runs.at(-1);
  const perWorker = big?.exportRowsPerSecond ?? 1;
  const target = 50_000_000;
  const bytesPerRow = ((big?.fileMiB ?? 0) * 2 ** 20) / (big?.rows ?? 1);
  // Reads: a Query returns at most 1 MB (about 4,000 history rows); at ~10 ms a page one reader gives
  // ~400k rows/s, above the CPU rate, so the worker's CPU rate is the bound. S3: 10,000 parts per upload.
  const cpuSeconds = target / perWorker;
  emitResult('exports', {
    runs,
    rssGrowthMiB: (runs[1]?.peakRssMiB ?? 0) - (runs[0]?.peakRssMiB ?? 0),
    projection50M: {
      rows: target,
      perWorkerRowsPerSecond: perWorker,
      minutes: Number((cpuSeconds / 60).toFixed(1)),
      lambdaRuns: Math.ceil(cpuSeconds / (900 - 120)),
      fileGiB: Number(((target * bytesPerRow) / 2 ** 30).toFixed(1)),
      parts: Math.ceil((target * bytesPerRow) / (5 * 2 ** 20)),
      limits:
        'Lambda timeout 900 s (runs pause 120 s before and continue); S3 multipart ≤ 10,000 parts, ≥ 5 MiB each but the last; DynamoDB Query ≤ 1 MB per page; API Gateway streaming ≤ 15 min, 2 MB/s after the first 10 MB',
    },
  });
}
