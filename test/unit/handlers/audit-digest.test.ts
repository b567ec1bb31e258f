import { createHash } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { digestOf, parseDigest } from '../../../lambdas/application/audit-digest.ts';
import { main } from '../../../lambdas/handlers/scheduled/digest.ts';
import { s3Digests, scannedHeads } from '../../../lambdas/handlers/scheduled/digest-ports.ts';

const ddbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);
const h = (text: string) => new Uint8Array(createHash('sha256').update(text).digest());
const item = (pk: string, version: number, hash?: Uint8Array) => ({
  pk: { S: pk },
  version: { N: String(version) },
  ...(hash ? { h: { B: hash } } : {}),
});

beforeEach(() => {
  ddbMock.reset();
  s3Mock.reset();
});

describe('the digest function', () => {
  it("scans keys and h only, across pages, and keeps each partition's last item as its head", async () => {
    ddbMock
      .on(ScanCommand)
      .resolvesOnce({
        Items: [item('account#t1#a', 1, h('a1')), item('account#t1#a', 2, h('a2'))],
        LastEvaluatedKey: { pk: { S: 'account#t1#a' }, version: { N: '2' } },
      })
      .resolvesOnce({
        Items: [item('account#t1#a', 3, h('a3')), item('transfer#t2#x', 1), { pk: { S: 'junk' } }],
      });

    const heads = [];
    for await (const head of scannedHeads(new DynamoDBClient({}), 'events').heads()) heads.push(head);

    expect(heads).toEqual([
      { tenantId: 't1', head: { stream: 'account#a', version: 3, h: h('a3') } },
      { tenantId: 't2', head: { stream: 'transfer#x', version: 1, h: undefined } },
    ]);
    expect(ddbMock.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'events',
      ProjectionExpression: 'pk, version, h',
    });
    expect(ddbMock.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: { S: 'account#t1#a' },
      version: { N: '2' },
    });
  });

  it('puts one JSON object per tenant under digests/<tenant>/, with a checksum (Object Lock needs one)', async () => {
    ddbMock
      .on(ScanCommand)
      .resolves({ Items: [item('account#t1#a', 2, h('a2')), item('account#t2#b', 1, h('b1'))] });
    s3Mock.on(PutObjectCommand).resolves({});

    const summary = await main(
      { time: '2024-03-03T00:00:00Z' },
      {
        source: scannedHeads(new DynamoDBClient({}), 'events'),
        store: s3Digests(new S3Client({}), 'digests-bucket'),
        now: () => new Date('2024-03-03T00:00:00Z'),
      },
    );

    expect(summary).toEqual({ tenants: 2, streams: 2 });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ChecksumAlgorithm])).toEqual([
      ['digests-bucket', 'digests/t1/2024-03-03T00:00:00.000Z.json', 'SHA256'],
      ['digests-bucket', 'digests/t2/2024-03-03T00:00:00.000Z.json', 'SHA256'],
    ]);
    const written = parseDigest(String(puts[0]?.Key), String(puts[0]?.Body));
    expect(written).toEqual(
      digestOf('t1', '2024-03-03T00:00:00.000Z', [{ stream: 'account#a', version: 2, h: h('a2') }]),
    );
  });
});
