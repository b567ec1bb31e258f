// The export and statement routes parse their requests with the shared helpers of lambdas/shared/api.ts.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ExportsApiDeps } from '../../../lambdas/composition/exports.ts';
import type { ExportJob } from '../../../lambdas/domain/exports.ts';
import { main as createExport } from '../../../lambdas/handlers/api/create-export.ts';
import { importIdOf } from '../../../lambdas/handlers/api/imports-request.ts';
import { idempotencyKeyOf, pathIdOf, queryOf } from '../../../lambdas/shared/api.ts';
import { exportIdFor, transferIdFor } from '../../../lambdas/shared/command-ids.ts';
import { apiEvent, lambdaContext } from '../../support/api-events.ts';
import { inMemoryPorts } from '../../support/in-memory-ports.ts';

const BODY = { kind: 'ledger', from: '2026-12-01', to: '2027-01-01' };

function exportsDeps() {
  const jobs = new Map<string, ExportJob>();
  const enqueued: string[] = [];
  const deps = {
    ports: inMemoryPorts(),
    retry: { attempts: 1, baseDelayMs: 0 },
    jobs: {
      get: async (tenantId: string, exportId: string) => jobs.get(`${tenantId}#${exportId}`) ?? null,
      create: async (job: ExportJob) => {
        const stored = jobs.get(`${job.tenantId}#${job.exportId}`) ?? job;
        jobs.set(`${job.tenantId}#${job.exportId}`, stored);
        return stored;
      },
      save: async (job: ExportJob) => job,
    },
    readModels: { account: async () => null },
    enqueue: async (message: { exportId: string }) => {
      enqueued.push(message.exportId);
    },
  };
  return { deps: deps as unknown as ExportsApiDeps, enqueued };
}

const post = (headers: Record<string, string>, tenant = 'tenant-a') =>
  apiEvent('POST', '/exports', { body: BODY, headers, tenant });

describe('export ids', () => {
  it('derive from the tenant and the Idempotency-Key, as the jobs already stored were named', () => {
    const id = exportIdFor('tenant-a', 'key-1');
    expect(id).toBe(transferIdFor('tenant-a', 'POST /exports', 'key-1').replace(/^tr_/, 'exp_'));
    expect(id).toMatch(/^exp_[A-Za-z0-9]{20,26}$/);
    expect(exportIdFor('tenant-b', 'key-1')).not.toBe(id);
    expect(exportIdFor('tenant-a', 'key-2')).not.toBe(id);
  });

  it('name the job POST /exports creates; a retry with the same key finds it', async () => {
    const { deps, enqueued } = exportsDeps();
    const first = await createExport(post({ 'Idempotency-Key': 'key-1' }), deps, lambdaContext());
    const again = await createExport(post({ 'Idempotency-Key': 'key-1' }), deps, lambdaContext());
    expect(first.statusCode).toBe(202);
    expect(JSON.parse(first.body).id).toBe(exportIdFor('tenant-a', 'key-1'));
    expect(JSON.parse(again.body).id).toBe(exportIdFor('tenant-a', 'key-1'));
    expect(enqueued).toEqual([exportIdFor('tenant-a', 'key-1'), exportIdFor('tenant-a', 'key-1')]);
  });
});

describe('the shared request helpers', () => {
  it('refuse a missing or malformed Idempotency-Key on POST /exports, which does not replay', async () => {
    const { deps, enqueued } = exportsDeps();
    // The plain function throws; the middy stack makes the problem+json of it.
    await expect(createExport(post({}), deps, lambdaContext())).rejects.toMatchObject({
      status: 400,
      code: 'idempotency-key-required',
    });
    await expect(
      createExport(post({ 'Idempotency-Key': 'a key with spaces' }), deps, lambdaContext()),
    ).rejects.toMatchObject({ status: 400, code: 'invalid-idempotency-key' });
    expect(enqueued).toEqual([]);
  });

  it('read one path id, the Idempotency-Key and the query as every route does', () => {
    const event: APIGatewayProxyEvent = apiEvent('GET', '/imports/{id}', {
      pathParameters: { id: 'im_1' },
      headers: { 'IDEMPOTENCY-KEY': 'k-1' },
      query: { from: '2026-12-01' },
    });
    expect(pathIdOf(event)).toBe('im_1');
    expect(importIdOf(event)).toBe('im_1');
    expect(idempotencyKeyOf(event)).toBe('k-1');
    expect(queryOf({ ...event, queryStringParameters: { a: '1', b: undefined } })).toEqual({ a: '1' });
    const bad = apiEvent('GET', '/imports/{id}', { pathParameters: { id: 'im/1' } });
    expect(() => pathIdOf(bad)).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid-path-parameter' }),
    );
    expect(() => idempotencyKeyOf(bad)).toThrow(
      expect.objectContaining({ status: 400, code: 'idempotency-key-required' }),
    );
  });
});
