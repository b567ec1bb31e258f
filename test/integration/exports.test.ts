// Issue 14, done-when: an export killed mid-job and resumed yields a file byte-identical to an
// uninterrupted one. Black box over HTTP (POST /exports, GET /exports/{id}, the presigned URL), then
// the worker's resumption on the local runtime's own S3 (fauxqs) and DynamoDB Local, with 5 MiB parts.
import { gunzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, expect, inject, it } from 'vitest';
import { DynamoDbExportJobs } from '../../lambdas/adapters/dynamodb-export-jobs.ts';
import { S3ExportUploads } from '../../lambdas/adapters/s3-export-uploads.ts';
import type { ExportJob } from '../../lambdas/domain/exports.ts';
import { ledgerSortKey } from '../../lambdas/domain/projections/account-history.ts';
import type { Posting, ReadModelQueries } from '../../lambdas/domain/projections/read-model.ts';
import { parseChecksumLine } from '../../lambdas/shared/csv.ts';
import { type ExportDeps, runExport } from '../../lambdas/shared/export-runner.ts';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import { apiClient } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl');
const api = apiClient(apiUrl, inject('apiKey'));
const runtime = inject('localRuntime');
const key = () => `export-${Math.random().toString(36).slice(2)}`;

async function completed(id: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const reply = await api('GET', `/exports/${id}`);
      expect(reply.status).toBe(200);
      return reply.json.status === 'completed' ? reply.json : undefined;
    },
    { what: `export ${id} completed`, timeoutMs: 30_000, intervalMs: 250 },
  );
}

async function download(url: unknown): Promise<Buffer> {
  const response = await fetch(String(url));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describeTarget('async exports', inject('skipReason'), inject('targetName'), () => {
  let alice = '';

  beforeAll(async () => {
    alice = String((await api('POST', '/accounts', { currency: 'USD' })).json.id);
    for (let i = 1; i <= 6; i++) {
      const deposit = await api('POST', `/accounts/${alice}/deposits`, { amount: i * 250, currency: 'USD' });
      expect(deposit.status).toBe(201);
    }
    await waitFor(
      async () =>
        ((await api('GET', `/accounts/${alice}/transactions`)).json.data as unknown[] | undefined)?.length ===
        6,
      { what: "alice's history", timeoutMs: 30_000 },
    );
  });

  it('runs a job to a presigned file that is the streamed statement, the same for the same request', async () => {
    const request = { kind: 'account-statement', accountId: alice, from: '2020-01-01', to: '2100-01-01' };
    const created = await api('POST', '/exports', request, { 'Idempotency-Key': key() });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ status: 'queued', progress: { rows: 0, percent: 0 } });
    const done = await completed(String(created.json.id));
    expect(done).toMatchObject({ progress: { rows: 6, parts: 1, percent: 100 }, checksum: { rows: 6 } });
    expect(Date.parse(String(done.urlExpiresAt))).toBeGreaterThan(Date.now());
    const file = await download(done.url);
    const statement = await fetch(
      `${apiUrl.replace(/\/$/, '')}/accounts/${alice}/statement.csv?from=2020-01-01&to=2100-01-01`,
      { headers: { 'x-api-key': inject('apiKey') } },
    );
    expect(file.toString()).toBe(await statement.text());

    const again = await api('POST', '/exports', request, { 'Idempotency-Key': key() });
    expect(again.json.id).not.toBe(created.json.id);
    expect((await download((await completed(String(again.json.id))).url)).equals(file)).toBe(true);

    const zipped = await api('POST', '/exports', { ...request, gzip: true }, { 'Idempotency-Key': key() });
    expect(gunzipSync(await download((await completed(String(zipped.json.id))).url)).equals(file)).toBe(true);
  });

  it('answers a retried POST with the same job, and another request under the same key with 422', async () => {
    const idem = key();
    const request = { kind: 'ledger', from: '2020-01-01', to: '2100-01-01' };
    const first = await api('POST', '/exports', request, { 'Idempotency-Key': idem });
    const retry = await api('POST', '/exports', request, { 'Idempotency-Key': idem });
    expect(retry.json.id).toBe(first.json.id);
    const other = await api('POST', '/exports', { ...request, gzip: true }, { 'Idempotency-Key': idem });
    expect(other.status).toBe(422);
    expect((await api('GET', '/exports/exp_doesnotexist')).status).toBe(404);
    const ledger = await download((await completed(String(first.json.id))).url);
    const lines = ledger.toString().split('\r\n');
    expect(parseChecksumLine(`${lines.at(-2)}\r\n`)?.rows).toBeGreaterThanOrEqual(12);
    // The tenant's postings in time order (the by-tenant-time index): both legs of each of alice's deposits.
    const rows = lines.slice(1, -2).map((line) => line.split(','));
    const keys = rows.map(([accountId = '', postedAt = '', transferId = '']) =>
      ledgerSortKey({ accountId, postedAt, transferId }),
    );
    expect(keys).toEqual([...keys].sort());
    const alices = new Set(rows.filter((row) => row[0] === alice).map((row) => row[2]));
    expect(alices.size).toBe(6);
    expect(rows.filter((row) => alices.has(row[2]))).toHaveLength(12);
  });

  it.runIf(runtime)(
    'resumes a job killed after a part into a file byte-identical to an uninterrupted one',
    async () => {
      if (!runtime) return;
      const region = 'us-east-1';
      const dynamo = new DynamoDBClient({
        endpoint: runtime.dynamodbEndpoint,
        region,
        credentials: LOCAL_CREDENTIALS,
      });
      const s3 = new S3Client({
        endpoint: runtime.sqsEndpoint,
        region,
        credentials: LOCAL_CREDENTIALS,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      const table = `export-jobs-${Date.now()}`;
      const bucket = `export-files-${Date.now()}`;
      await dynamo.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      // 60,000 postings (about 6 MiB of CSV: two parts, the first 5 MiB) served as the history read model pages them.
      const rows: Posting[] = Array.from({ length: 60_000 }, (_, i) => ({
        accountId: 'acc_big',
        transferId: `tr_${String(i).padStart(8, '0')}`,
        postedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        type: 'TransferPosted',
        direction: i % 2 ? 'debit' : 'credit',
        amount: 1 + ((i * 7919) % 1_000_000),
        currency: 'USD',
        counterpartyAccountId: 'acc_other',
        postedBalanceAfter: null,
        accountVersion: i + 2,
      }));
      const history = {
        postings: async (
          _t: string,
          _a: string,
          after: { postedAt: string; transferId: string } | null,
          limit: number,
        ) => {
          const start = after
            ? rows.findIndex((r) => `${r.postedAt}#${r.transferId}` > `${after.postedAt}#${after.transferId}`)
            : 0;
          const from = start < 0 ? rows.length : start;
          return { rows: rows.slice(from, from + limit), more: from + limit < rows.length };
        },
      } as unknown as ReadModelQueries;
      const jobs = new DynamoDbExportJobs(dynamo, table);
      const files = new S3ExportUploads(s3, bucket);

      const exportOf = async (exportId: string, crashAtPart?: number) => {
        const job: ExportJob = {
          tenantId: 'tenant-resume',
          exportId,
          request: {
            kind: 'account-statement',
            accountId: 'acc_big',
            from: '2026-01-01T00:00:00.000Z',
            to: '2027-01-01T00:00:00.000Z',
            format: 'csv',
            gzip: false,
          },
          status: 'queued',
          key: `exports/tenant-resume/${exportId}.csv`,
          checkpoint: null,
          version: 0,
        };
        await jobs.create(job);
        let uploads = 0;
        const crashing: ExportDeps['uploads'] = {
          start: (k) => files.start(k),
          complete: (k, id, parts) => files.complete(k, id, parts),
          finished: (k) => files.finished(k),
          uploadPart: (k, id, n, body) => {
            uploads++;
            if (uploads === crashAtPart) throw new Error('killed');
            return files.uploadPart(k, id, n, body);
          },
        };
        const deps: ExportDeps = {
          jobs,
          uploads: crashing,
          source: { readModels: history, ledger: async function* () {} },
        };
        let runs = 0;
        let done: ExportJob | undefined;
        while (!done) {
          runs++;
          done = await runExport(deps, 'tenant-resume', exportId).catch(() => undefined);
        }
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: job.key }));
        return { runs, job: done, bytes: Buffer.from((await object.Body?.transformToByteArray()) ?? []) };
      };

      const whole = await exportOf('exp_whole');
      const killed = await exportOf('exp_killed', 2);
      expect(whole.runs).toBe(1);
      expect(killed.runs).toBe(2);
      expect(whole.job.checkpoint?.parts.length).toBe(2);
      expect(killed.job.checkpoint?.parts.length).toBe(2);
      expect(killed.bytes.length).toBe(whole.bytes.length);
      expect(killed.bytes.equals(whole.bytes)).toBe(true);
      expect(parseChecksumLine(whole.bytes.toString().split('\r\n').at(-2) ?? '')?.rows).toBe(60_000);
      dynamo.destroy();
      s3.destroy();
    },
  );
});
