/**
 * Bulk import throughput (issue 14): a CSV of `IMPORT_BENCH_ROWS` rows (default 100,000) is written to
 * fauxqs' S3, validated and split by the real application code, and its chunks booked by 1, 2 and 4
 * in-process chunk workers (a fresh file, fresh row ids, each time) against DynamoDB Local. Rows move
 * money between 400 distinct accounts (a migration; a payroll from one account would serialize on it).
 * Reports rows per minute in all and per worker, and projects 10M rows on AWS from the per-worker rate
 * and the documented limits below, with requests, capacity and CPU per row. Prints one JSON line. Run:
 * `npm exec -- node bench/imports.ts` (`IMPORT_BENCH_WORKERS=1,2,4`, `IMPORT_BENCH_CONCURRENCY=8`: rows in flight).
 *
 * Documented limits used by the projection (AWS documentation, as of 2026):
 *  - SQS event source mapping: maximum concurrency 2–1,000 per mapping (Lambda Developer Guide, "Configuring
 *    maximum concurrency for Amazon SQS event sources"); account concurrency default 1,000 (Lambda quotas).
 *  - Lambda function timeout at most 900 s (Lambda quotas): a 1,000-row chunk must fit well within it.
 *  - DynamoDB on-demand: 40,000 write request units per second per table by default (DynamoDB service
 *    quotas, "Throughput default quotas"), 1,000 WCU per partition; a transactional write costs 2 WRU per
 *    item (DynamoDB Developer Guide, "Transactions: capacity management").
 *  - Per row the worker writes, in the events table, its transfer's three events in a TransactWriteItems
 *    (2 WRU an item ≤ 1 KB; a ConditionCheck costs the same), and in batches its share of one version check
 *    per account per batch: counted per run as `eventsWriteUnits` (6 a row with one transaction per row, the
 *    fallback `EVENTS_WRU_PER_ROW`). In the imports table, the row's claim and its settlement (each an item of
 *    a TransactWriteItems of up to 100: 2 × 2 WRU = 4 WRU). The tables have separate quotas: the events table
 *    bounds first (40,000 / its units per row, rows per second).
 *  - A worker is one Node.js thread: whatever DynamoDB's latency, it books at most 1,000 / (its CPU ms per
 *    row) rows per second (`cpuBoundRowsPerMinutePerWorker`, from the CPU this process spent per row).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbImportJobs } from '../lambdas/adapters/imports-dynamodb.ts';
import { S3ImportFiles } from '../lambdas/adapters/imports-s3.ts';
import { deposit, openAccount } from '../lambdas/application/commands.ts';
import type { ChunkWorkerDeps } from '../lambdas/application/imports.ts';
import { createImport } from '../lambdas/application/imports.ts';
import { processChunk, validateUpload } from '../lambdas/application/imports-work.ts';
import { buildLedgerPorts, conflictRetry, MAX_COMMAND_ATTEMPTS } from '../lambdas/composition/ledger.ts';
import type { ChunkJob } from '../lambdas/domain/imports-ports.ts';
import { transferIdFor } from '../lambdas/shared/command-ids.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '../local/dynamodb.ts';
import { startSqsEmulator } from '../local/sqs.ts';
import { createEventsTable, createSnapshotsTable, localClient } from '../test/support/dynamodb-local.ts';
import { createImportsTable } from '../test/support/imports-table.ts';
import { startCpu } from './support/cpu.ts';
import { emitResult, progress } from './support/output.ts';
import { RequestCounter } from './support/request-counter.ts';

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 100_000);
const WORKERS = (process.env.IMPORT_BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const ACCOUNTS = 200;
const ROW_CONCURRENCY = Number(process.env.IMPORT_BENCH_CONCURRENCY ?? 8);
const TENANT = 'tenant_bench';
const EVENTS_WRU_PER_ROW = 6;
const TABLE_WRU_PER_SECOND = 40_000;
const AWS_WORKERS = 100;
const TARGET_ROWS = 10_000_000;

const server = await startDynamoDbLocal();
const ddb = { client: localClient(server.endpoint) };
const counter = new RequestCounter(ddb.client);
const sqs = await startSqsEmulator({ region: 'us-east-1' });
try {
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  await createImportsTable(ddb.client);

  sqs.createBucket('imports');
  const s3 = new S3Client({
    endpoint: sqs.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const ports = buildLedgerPorts(ddb.client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' });
  const ctx = { tenantId: TENANT, correlationId: 'bench', causationId: 'bench', actor: 'bench' };
  progress(`opening ${2 * ACCOUNTS} accounts`);
  const from: string[] = [];
  const to: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const a = await openAccount(ports, ctx, { currency: 'USD' });
    await deposit(ports, ctx, { accountId: a.id, amount: 1_000_000_000, currency: 'USD' });
    from.push(a.id);
    to.push((await openAccount(ports, ctx, { currency: 'USD' })).id);
  }
  let chunks: ChunkJob[] = [];
  let conflicts = 0;
  const deps: ChunkWorkerDeps = {
    jobs: new DynamoDbImportJobs({ client: ddb.client, tableName: 'imports' }),
    files: new S3ImportFiles({ client: s3, bucketName: 'imports' }),
    sendChunks: async (jobs) => {
      chunks.push(...jobs);
    },
    now: () => new Date(),
    ports,
    // Conflict retries as the worker's, counted here rather than printed as metrics.
    retry: conflictRetry(MAX_COMMAND_ATTEMPTS, {
      count: () => {},
      record: () => {
        conflicts++;
      },
    }),
    rowConcurrency: ROW_CONCURRENCY,
    transferIdFor,
  };

  const runs = [];
  for (const workers of WORKERS) {
    const lines = ['row_id,from_account,to_account,amount,currency,reference'];
    for (let i = 0; i < ROWS; i++) {
      lines.push(
        `w${workers}-${i},${from[i % ACCOUNTS]},${to[(i * 7) % ACCOUNTS]},${1 + (i % 500)},USD,bench ${i}`,
      );
    }
    const job = await createImport(deps, TENANT, `imp_bench_${workers}`);
    await deps.files.write(job.sourceKey, `${lines.join('\n')}\n`);
    chunks = [];
    const validateStart = performance.now();
    const split = await validateUpload(deps, job.sourceKey);
    const validateMs = performance.now() - validateStart;
    progress(`${workers} worker(s): ${JSON.stringify(split)} in ${Math.round(validateMs)} ms`);
    const queue = [...chunks];
    conflicts = 0;
    const started = performance.now();
    const stopNodeCpu = startCpu();
    const stopStackCpu = startCpu(server.pid === undefined ? [] : [server.pid]);
    const { count } = await counter.count(() =>
      Promise.all(
        Array.from({ length: workers }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) await processChunk(deps, next);
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = stopNodeCpu();
    const stackCpu = stopStackCpu();
    const perRow = (n: number) => Math.round((n / ROWS) * 1000) / 1000;
    const done = await deps.jobs.get(TENANT, job.importId);
    const rowsPerMinute = Math.round((ROWS / seconds) * 60);
    runs.push({
      workers,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerMinute,
      rowsPerMinutePerWorker: Math.round(rowsPerMinute / workers),
      validateSeconds: Math.round(validateMs / 100) / 10,
      status: done?.status,
      accepted: done?.accepted,
      rejected: done?.rejected,
      conflictRetries: conflicts,
      perRow: {
        requests: perRow(count.requests),
        byCommand: Object.fromEntries(Object.entries(count.byCommand).map(([c, n]) => [c, perRow(n)])),
        capacityUnits: perRow(count.capacityUnits),
        eventsWriteUnits: perRow(count.writeUnitsByTable.events ?? 0),
        cpuMsNode: perRow(nodeCpu.stackMs),
        cpuMsDynamoDbLocal: perRow(stackCpu.stackMs - nodeCpu.stackMs),
      },
      cpuBoundRowsPerMinutePerWorker: Math.round((60_000 * ROWS) / nodeCpu.stackMs),
      loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      machineBusy: stackCpu.machineBusy === null ? null : Math.round(stackCpu.machineBusy * 100) / 100,
    });
    progress(`${workers} worker(s): ${rowsPerMinute} rows/min`);
  }
  const perWorker = runs[0]?.rowsPerMinutePerWorker ?? 0;
  const workerRate = (perWorker * AWS_WORKERS) / 60;
  // The events table's write units per row as measured (the batches' version checks included).
  const wruPerRow = runs[0]?.perRow.eventsWriteUnits || EVENTS_WRU_PER_ROW;
  const tableRate = TABLE_WRU_PER_SECOND / wruPerRow;
  const rate = Math.min(workerRate, tableRate);
  emitResult('imports', {
    rows: ROWS,
    loadAverage: loadavg().map((n) => Math.round(n * 10) / 10),
    rowConcurrency: ROW_CONCURRENCY,
    runs,
    goalRowsPerMinutePerWorker: 50_000,
    projection10M: {
      workers: AWS_WORKERS,
      rowsPerSecond: Math.round(rate),
      boundBy: workerRate < tableRate ? 'workers' : 'events table write throughput',
      minutes: Math.round(TARGET_ROWS / rate / 60),
      eventsWriteUnitsPerRow: wruPerRow,
      workersToTableBound: Math.ceil(tableRate / (perWorker / 60)),
      note: 'per-worker rate measured on DynamoDB Local on this machine; AWS latency differs',
    },
  });
  s3.destroy();
} finally {
  await sqs.stop();
  ddb.client.destroy();
  await server.stop();
}
