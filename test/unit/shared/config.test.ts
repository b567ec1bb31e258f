import { describe, expect, it } from 'vitest';
import { perContainer } from '../../../lambdas/composition/container.ts';
import {
  exportsConfig,
  ledgerConfig,
  processorClientConfig,
  readModelsConfig,
  S3_FORCE_PATH_STYLE_ENV,
  s3ClientConfig,
  workerQueueConfig,
} from '../../../lambdas/shared/config.ts';
import { ENV, READ_MODEL_TABLES_ENV } from '../../../lambdas/shared/env-names.ts';

describe('config', () => {
  it('reads the variables by their shared names', () => {
    expect(ledgerConfig({ [ENV.eventsTable]: 'events', [ENV.snapshotsTable]: 'snapshots' })).toEqual({
      eventsTableName: 'events',
      snapshotsTableName: 'snapshots',
      shards: { systemShards: 64, hotShards: 16 },
      ceilings: { defaultMinor: 100_000_000_000, perTenant: {} },
    });
    expect(
      ledgerConfig({ [ENV.eventsTable]: 'e', [ENV.snapshotsTable]: 's', [ENV.auditKeySecret]: 'arn:key' })
        .auditKeySecretArn,
    ).toBe('arn:key');
    expect(
      readModelsConfig({
        [READ_MODEL_TABLES_ENV['account-view']]: 'blue,green',
        [ENV.readModelPointersTable]: 'pointers',
      }),
    ).toEqual({ pointersTable: 'pointers', tables: { 'account-view': { blue: 'blue', green: 'green' } } });
  });

  it('reads the shard layout per stage, within its ceilings', () => {
    const tables = { [ENV.eventsTable]: 'events', [ENV.snapshotsTable]: 'snapshots' };
    const layout = { ...tables, [ENV.systemShards]: '64', [ENV.hotShards]: '8' };
    expect(ledgerConfig(layout).shards).toEqual({ systemShards: 64, hotShards: 8 });
    expect(() => ledgerConfig({ ...tables, [ENV.systemShards]: '0' })).toThrow(ENV.systemShards);
    expect(() => ledgerConfig({ ...tables, [ENV.hotShards]: '49' })).toThrow(ENV.hotShards);
  });

  it('fails fast, naming the missing variable', () => {
    expect(() => ledgerConfig({ [ENV.eventsTable]: 'events' })).toThrow(ENV.snapshotsTable);
    expect(() => readModelsConfig({ [ENV.readModelPointersTable]: 'p' })).toThrow(
      READ_MODEL_TABLES_ENV['payment-view'],
    );
  });

  it('applies defaults and refuses malformed numbers', () => {
    const base = { [ENV.workQueueUrl]: 'q' };
    expect(workerQueueConfig(base)).toEqual({ queueUrl: 'q', retryBaseSeconds: 5, retryCapSeconds: 900 });
    expect(() => workerQueueConfig({ ...base, [ENV.retryBaseSeconds]: '-1' })).toThrow(ENV.retryBaseSeconds);
    expect(
      processorClientConfig({ [ENV.processorBaseUrl]: 'http://p', [ENV.processorSecretArn]: 'arn' }),
    ).toMatchObject({ timeoutMs: 1500, maxAttempts: 2 });
  });
});

describe('exportsConfig', () => {
  it('needs the jobs table and the bucket; the queue only where a route enqueues', () => {
    const base = { [ENV.exportsTable]: 'exports', [ENV.exportsBucket]: 'files' };
    expect(exportsConfig(base)).toEqual({ tableName: 'exports', bucketName: 'files', queueUrl: undefined });
    expect(exportsConfig({ ...base, [ENV.exportsQueueUrl]: 'http://q' }).queueUrl).toBe('http://q');
    expect(() => exportsConfig({ [ENV.exportsTable]: 'exports' })).toThrow(ENV.exportsBucket);
  });
});

describe('s3ClientConfig', () => {
  it('forces path-style only when the emulator says so, and refuses anything but true/false', () => {
    expect(s3ClientConfig({})).toEqual({ forcePathStyle: false });
    expect(s3ClientConfig({ [S3_FORCE_PATH_STYLE_ENV]: 'true' })).toEqual({ forcePathStyle: true });
    expect(s3ClientConfig({ [S3_FORCE_PATH_STYLE_ENV]: 'false' })).toEqual({ forcePathStyle: false });
    expect(() => s3ClientConfig({ [S3_FORCE_PATH_STYLE_ENV]: 'yes' })).toThrow(S3_FORCE_PATH_STYLE_ENV);
  });
});

describe('perContainer', () => {
  it('builds on first use and keeps what it built', () => {
    let builds = 0;
    const deps = perContainer(() => ({ n: ++builds }));
    expect(builds).toBe(0);
    const first = deps();
    expect(deps()).toBe(first);
    expect(builds).toBe(1);
  });
});
