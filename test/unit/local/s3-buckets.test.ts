// S3 buckets of the template on fauxqs' S3 (the SQS emulator's endpoint), reached with presigned URLs from curl.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate, StackAssembly } from '../../../local/cloud-assembly.ts';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb.ts';
import { provisionStack } from '../../../local/provisioners/provision-stack.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import type { LocalServices } from '../../../local/services.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';
import { planStack } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

const REGION = 'eu-west-1';
const curl = promisify(execFile);

let sqs: SqsEmulator;
let s3: S3Client;

beforeAll(async () => {
  sqs = await startSqsEmulator({ region: REGION });
  s3 = new S3Client({
    endpoint: sqs.endpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    // Otherwise a presigned PUT carries the CRC32 of an empty body, and the upload is refused.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  s3?.destroy();
  await sqs?.stop();
});

async function provision(template: CfnTemplate) {
  const assembly: StackAssembly = {
    stackName: 'App',
    directory: '/nowhere',
    template,
    assetPath: () => undefined,
  };
  const values = new StackValues(template, 'App', REGION);
  const plan = planStack(assembly, (name, at) => values.condition(name, at), PROVISIONERS);
  const logs: string[] = [];
  await provisionStack(plan, PROVISIONERS, {
    stackName: 'App',
    region: REGION,
    assembly,
    values,
    services: { dynamo: undefined, sqs } as unknown as LocalServices,
    providers: new Set(),
    log: (line) => logs.push(line),
  });
  return { values, logs };
}

describe('AWS::S3::Bucket on fauxqs', () => {
  it('creates the named bucket and a valid, deterministic name for an unnamed one, with their attributes', async () => {
    const template: CfnTemplate = {
      Resources: {
        Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'receipts' } },
        Uploads_Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
        Policy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Named' } } },
      },
    };
    const { values } = await provision(template);
    const generated = values.get('Uploads_Bucket')?.ref ?? '';
    expect(generated).toMatch(/^app-uploads-bucket-[a-z0-9]{12}$/);
    expect((await provision(template)).values.get('Uploads_Bucket')?.ref).toBe(generated);
    expect(values.get('Named')).toMatchObject({
      ref: 'receipts',
      attributes: expect.objectContaining({
        Arn: 'arn:aws:s3:::receipts',
        DomainName: 'receipts.s3.amazonaws.com',
        RegionalDomainName: `receipts.s3.${REGION}.amazonaws.com`,
      }),
    });
    for (const Bucket of ['receipts', generated]) {
      await expect(s3.send(new HeadBucketCommand({ Bucket }))).resolves.toBeDefined();
    }
  });

  it('accepts what fauxqs cannot do and says so once per property', async () => {
    const { logs } = await provision({
      Resources: {
        Locked: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            BucketName: 'locked-files',
            ObjectLockEnabled: true,
            VersioningConfiguration: { Status: 'Enabled' },
            BucketEncryption: { ServerSideEncryptionConfiguration: [] },
            PublicAccessBlockConfiguration: { BlockPublicAcls: true },
          },
        },
      },
    });
    expect(logs.filter((line) => line.startsWith('note: Locked:'))).toEqual([
      'note: Locked: BucketEncryption is accepted but objects are stored unencrypted',
      'note: Locked: VersioningConfiguration is accepted but no object versions are kept',
      'note: Locked: ObjectLockEnabled is accepted but objects are not locked',
    ]);
  });

  it('serves presigned PUT and GET URLs that curl can use', async () => {
    await provision({
      Resources: { Files: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'files' } } },
    });
    const key = 'tenant-a/imports/rows 1.csv';
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'files', Key: key }), {
      expiresIn: 900,
    });
    expect(put.startsWith(`${sqs.endpoint}/files/`)).toBe(true);
    // `--upload-file` (curl sends no form content type: fauxqs 2.4.1 answers 500 to a form-encoded PUT).
    const file = join(mkdtempSync(join(tmpdir(), 's3-')), 'rows.csv');
    writeFileSync(file, 'row_id,amount\n1,100\n');
    await curl('curl', ['-sSf', '--upload-file', file, put]);
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'files', Key: key }), {
      expiresIn: 900,
    });
    const { stdout } = await curl('curl', ['-sSf', get]);
    expect(stdout).toBe('row_id,amount\n1,100\n');
  });

  it('tells listeners of every object created', async () => {
    await provision({
      Resources: { Inbox: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'inbox' } } },
    });
    const seen: string[] = [];
    const stop = sqs.onObjectCreated(({ bucket, key }) => seen.push(`${bucket}/${key}`));
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'a.csv', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'b.csv', Body: 'y' }));
    stop();
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'c.csv', Body: 'z' }));
    expect(seen).toEqual(['inbox/a.csv', 'inbox/b.csv']);
  });
});
