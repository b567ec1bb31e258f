// Custom::S3BucketNotifications: objects stored in fauxqs' S3 reach the function or the queue the
// template names, as S3 event records, honouring event names and prefix/suffix filters.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../../local/cloud-assembly.ts';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb.ts';
import type { InvokeResult } from '../../../local/lambda-pool.ts';
import { eventKey } from '../../../local/provisioners/s3-notifications.ts';
import type { LocalServices } from '../../../local/services.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';
import { waitFor } from '../../support/wait-for.ts';
import { provisionApp } from './s3-provision.ts';

const REGION = 'us-east-1';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:000000000000:function:validator`;

let sqs: SqsEmulator;
let s3: S3Client;
let sqsClient: SQSClient;
const invocations: { fn: string; event: { Records: Record<string, unknown>[] } }[] = [];
let queueUrl: string;

const template: CfnTemplate = {
  Resources: {
    Uploads: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'uploads' } },
    Events: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'upload-events' } },
    Reports: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'report-events' } },
    // CloudFormation's own form, on the bucket: one event per configuration, Filter.S3Key.Rules.
    Direct: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: 'direct',
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Event: 's3:ObjectCreated:Put',
              Queue: { 'Fn::GetAtt': ['Reports', 'Arn'] },
              Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: '.csv' }] } },
            },
          ],
        },
      },
    },
    Notifications: {
      Type: 'Custom::S3BucketNotifications',
      Properties: {
        ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:cdk-handler',
        BucketName: { Ref: 'Uploads' },
        Managed: true,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              LambdaFunctionArn: FUNCTION_ARN,
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'suffix', Value: '/source.csv' },
                    { Name: 'prefix', Value: 'in/' },
                  ],
                },
              },
            },
          ],
          QueueConfigurations: [
            {
              Events: ['s3:ObjectCreated:CompleteMultipartUpload'],
              QueueArn: { 'Fn::GetAtt': ['Events', 'Arn'] },
            },
          ],
        },
      },
    },
  },
};

beforeAll(async () => {
  sqs = await startSqsEmulator({ region: REGION });
  const client = { endpoint: sqs.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS };
  s3 = new S3Client({ ...client, forcePathStyle: true });
  sqsClient = new SQSClient({ ...client, useQueueUrlAsEndpoint: false });
  const pool = {
    invoke: async (fn: string, event: unknown): Promise<InvokeResult> => {
      invocations.push({ fn, event: event as (typeof invocations)[number]['event'] });
      return { ok: true, payload: null };
    },
  };
  await provisionApp(template, { sqs, pool } as Partial<LocalServices>, REGION);
  queueUrl = sqs.queueUrl('upload-events');
});
afterAll(async () => {
  s3?.destroy();
  sqsClient?.destroy();
  await sqs?.stop();
});

describe('S3 bucket notifications', () => {
  it('invokes the function with the S3 event record of a matching put, and nothing for other keys', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'out/t1/source.csv', Body: 'no' }));
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/t1/a file.csv', Body: 'no' }));
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/t 1/source.csv', Body: 'row_id\n1\n' }));
    await waitFor(() => invocations.length >= 1);
    expect(invocations).toHaveLength(1);
    const [call] = invocations;
    expect(call?.fn).toBe(FUNCTION_ARN);
    expect(call?.event.Records).toEqual([
      expect.objectContaining({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventName: 'ObjectCreated:Put',
        s3: expect.objectContaining({
          bucket: expect.objectContaining({ name: 'uploads', arn: 'arn:aws:s3:::uploads' }),
          object: expect.objectContaining({
            key: 'in/t+1/source.csv',
            size: 9,
            eTag: expect.stringMatching(/^[0-9a-f]{32}$/),
          }),
        }),
      }),
    ]);
  });

  it('sends a completed multipart upload to the queue as ObjectCreated:CompleteMultipartUpload', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'big/x.csv' }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket: 'uploads', Key: 'big/x.csv', UploadId, PartNumber: 1, Body: 'abc' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'uploads',
        Key: 'big/x.csv',
        UploadId,
        MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
      }),
    );
    const { Messages } = await sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }),
    );
    expect(Messages).toHaveLength(1);
    const body = JSON.parse(Messages?.[0]?.Body ?? '{}') as {
      Records: { eventName: string; s3: { object: { key: string; eTag: string } } }[];
    };
    expect(body.Records[0]?.eventName).toBe('ObjectCreated:CompleteMultipartUpload');
    expect(body.Records[0]?.s3.object).toMatchObject({
      key: 'big/x.csv',
      eTag: expect.stringMatching(/-1$/),
    });
  });

  it('delivers what an AWS::S3::Bucket NotificationConfiguration declares', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'direct', Key: 'skip.txt', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'direct', Key: 'r/errors.csv', Body: 'a' }));
    const { Messages } = await sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queueUrl('report-events'),
        WaitTimeSeconds: 5,
        MaxNumberOfMessages: 10,
      }),
    );
    const keys = (Messages ?? []).map(
      (m) =>
        (JSON.parse(m.Body ?? '{}') as { Records: { s3: { object: { key: string } } }[] }).Records[0]?.s3
          .object.key,
    );
    expect(keys).toEqual(['r/errors.csv']);
  });

  it('URL-encodes keys as S3 does (spaces as +, slashes kept)', () => {
    expect(eventKey('a b/c+d/é.csv')).toBe('a+b/c%2Bd/%C3%A9.csv');
  });
});
