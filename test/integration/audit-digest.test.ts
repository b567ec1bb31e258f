// The hourly digest end to end on the local runtime: the digest function (invoked as its schedule would)
// writes the tenant's Merkle root over its stream heads to the digest bucket, and `npm run audit:verify`
// against that runtime finds and verifies it. An edited digest object fails it (`digest-root`), and so
// does a head removed after the digest (`digest-head`): a deleted last event breaks no chain, only the
// digest remembers it. This file starts its own runtime, to invoke the function and reach its S3.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { stateOf, writeStateFile } from '../../local/state-file.ts';
import { auditVerify as auditVerifyCli, depositedAccount } from '../support/audit-verify.ts';
import { apiClient } from '../support/http-api.ts';
import {
  CDK_OUT,
  dynamoDbOf,
  EVENTS_TABLE,
  ownRuntimeSkipReason,
  REGION,
  refOf,
  startOwnRuntime,
} from './observability-runtime.ts';
import { describeTarget } from './target.ts';

const targetName = inject('targetName');
const skipReason = ownRuntimeSkipReason('invokes the digest function of a local runtime');
const KEY = 'digest-tenant-0123456789abcdef012345';
const DEPOSITS = 3;

interface Finding {
  readonly kind: string;
  readonly stream?: string;
  readonly version?: number;
}
interface Report {
  readonly ok: boolean;
  readonly counts: Record<string, number>;
  readonly findings: readonly Finding[];
}

let runtime: LocalRuntime | undefined;
let dir = '';
let stateFile = '';
let tenant = '';
let accountId = '';
let ddb: DynamoDBClient;
let s3: S3Client;

/** `npm run audit:verify -- --tenant <tenant>` against this file's runtime, as an operator runs it. */
const auditVerify = () => auditVerifyCli<Report>(tenant, stateFile);

const ref = (pattern: RegExp) => refOf(runtime, pattern);

describeTarget('the hourly digest, end to end', skipReason, targetName, () => {
  beforeAll(async () => {
    runtime = await startOwnRuntime(KEY);
    dir = mkdtempSync(join(tmpdir(), 'ledgerline-digest-'));
    stateFile = join(dir, 'local-runtime.json');
    writeStateFile(stateFile, stateOf(runtime, { cdkOut: CDK_OUT, region: REGION }));
    tenant = runtime.apiKeys.find((k) => k.value === KEY)?.id ?? '';
    ddb = dynamoDbOf(runtime);
    s3 = new S3Client({
      endpoint: runtime.endpoints.s3,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    });

    accountId = await depositedAccount(apiClient(runtime.apiUrl ?? '', KEY), DEPOSITS);
    // The schedule's target, invoked now (the rule fires hourly).
    const run = await runtime.invoke(ref(/^AuditFunction[0-9A-F]{8}$/), { time: new Date().toISOString() });
    expect(run).toMatchObject({ ok: true, payload: expect.objectContaining({}) });
  }, 180_000);

  afterAll(async () => {
    ddb?.destroy();
    s3?.destroy();
    await runtime?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The tenant's digest objects: bucket and keys. */
  async function digests() {
    const bucket = String(runtime?.outputs.AuditDigestBucketName);
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `digests/${tenant}/` }),
    );
    return { bucket, keys: Contents.flatMap((o) => (o.Key ? [o.Key] : [])) };
  }

  it('writes the tenant’s digest, which audit:verify finds and verifies', async () => {
    const { keys } = await digests();
    expect(keys).toHaveLength(1);
    const { code, report, stderr } = await auditVerify();
    expect(stderr).toBe('');
    expect(report).toMatchObject({ ok: true, findings: [] });
    expect(report?.counts).toMatchObject({ digests: 1 });
    expect(report?.counts.digestHeads).toBeGreaterThanOrEqual(2);
    expect(code).toBe(0);
  });

  it('fails on an edited digest object (its root no longer hashes from its heads)', async () => {
    const { bucket, keys } = await digests();
    const Key = keys[0] ?? '';
    const original =
      (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body?.transformToString()) ?? '';
    const digest = JSON.parse(original) as { root: string };
    const edited = { ...digest, root: `${digest.root.startsWith('A') ? 'B' : 'A'}${digest.root.slice(1)}` };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(edited) }));
    try {
      const { code, report } = await auditVerify();
      expect(code).toBe(1);
      expect(report?.findings.map((f) => f.kind)).toContain('digest-root');
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: original }));
    }
    expect((await auditVerify()).code).toBe(0);
  });

  it('fails when a head the digest saw is gone, naming the stream and version', async () => {
    const table = ref(EVENTS_TABLE);
    const Key: Record<string, AttributeValue> = {
      pk: { S: `account#${tenant}#${accountId}` },
      version: { N: String(DEPOSITS + 1) },
    };
    const { Item } = await ddb.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
    if (!Item) throw new Error('no head event');
    await ddb.send(new DeleteItemCommand({ TableName: table, Key }));
    try {
      const { code, report } = await auditVerify();
      expect(code).toBe(1);
      expect(report?.findings).toContainEqual(
        expect.objectContaining({
          kind: 'digest-head',
          stream: `account#${accountId}`,
          version: DEPOSITS + 1,
        }),
      );
    } finally {
      await ddb.send(new PutItemCommand({ TableName: table, Item }));
    }
  });
});
