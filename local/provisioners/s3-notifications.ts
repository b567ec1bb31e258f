import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../dynamodb.ts';
import { LOCAL_ACCOUNT_ID, stableId } from '../naming.ts';
import type { ObjectCreated } from '../sqs.ts';
import type { PlannedResource } from '../template.ts';
import { fail, type ProvisionContext, type Provisioner, property } from './provisioner.ts';

const ASYNC_ATTEMPTS = 3;

/** One notification of the bucket's configuration: which events, which keys, where to. */
export interface NotificationTarget {
  readonly id: string;
  readonly events: readonly string[];
  readonly prefix: string;
  readonly suffix: string;
  readonly destination: { readonly kind: 'lambda' | 'queue'; readonly arn: string };
}

type Rules = readonly { Name: string; Value: string }[];

/** One configuration, in S3's API form (the custom resource's) or CloudFormation's (`AWS::S3::Bucket`). */
interface Configuration {
  readonly Events?: readonly string[];
  readonly Event?: string;
  readonly Filter?: {
    readonly Key?: { readonly FilterRules?: Rules };
    readonly S3Key?: { readonly Rules?: Rules };
  };
  readonly Id?: string;
  readonly LambdaFunctionArn?: string;
  readonly Function?: string;
  readonly QueueArn?: string;
  readonly Queue?: string;
}

/** The S3 event name of a created object: a multipart upload's ETag ends in `-<parts>`. */
export function createdEventName(eTag: string): string {
  return /-\d+"?$/.test(eTag) ? 'ObjectCreated:CompleteMultipartUpload' : 'ObjectCreated:Put';
}

/** Whether `target` wants an event named `eventName` (e.g. `ObjectCreated:Put`) for `key`. */
export function wants(target: NotificationTarget, eventName: string, key: string): boolean {
  const [group] = eventName.split(':');
  const eventMatches = target.events.some((e) => e === `s3:${eventName}` || e === `s3:${group}:*`);
  return eventMatches && key.startsWith(target.prefix) && key.endsWith(target.suffix);
}

/** S3 URL-encodes keys in events as a form would: spaces are `+`, slashes stay. */
export function eventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** One record as S3 sends it (event structure version 2.1). */
export function s3EventRecord(input: {
  readonly region: string;
  readonly configurationId: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  readonly eventName: string;
  readonly time: Date;
  readonly sequence: number;
}) {
  const requestId = stableId(`s3-request/${input.bucket}/${input.key}/${input.sequence}`, 16).toUpperCase();
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: input.time.toISOString(),
    eventName: input.eventName,
    userIdentity: { principalId: `AWS:${LOCAL_ACCOUNT_ID}` },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: input.configurationId,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: LOCAL_ACCOUNT_ID },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: eventKey(input.key),
        size: input.size,
        eTag: input.eTag.replace(/"/g, ''),
        sequencer: input.sequence.toString(16).toUpperCase().padStart(16, '0'),
      },
    },
  };
}

type Configurations = Readonly<Record<string, readonly Configuration[] | undefined>>;

/** The targets of a notification configuration in either form; SNS topics are refused. */
export function notificationTargets(r: PlannedResource, config: Configurations): NotificationTarget[] {
  const targets: NotificationTarget[] = [];
  if (config.TopicConfigurations?.length) fail(r, 'SNS topic notifications are not emulated');
  const add = (list: readonly Configuration[] | undefined, kind: 'lambda' | 'queue') => {
    for (const [i, c] of (list ?? []).entries()) {
      const rules = c.Filter?.Key?.FilterRules ?? c.Filter?.S3Key?.Rules ?? [];
      const rule = (name: string) => rules.find((x) => x.Name.toLowerCase() === name)?.Value ?? '';
      const arn =
        (kind === 'lambda' ? (c.LambdaFunctionArn ?? c.Function) : (c.QueueArn ?? c.Queue)) ??
        fail(r, `a ${kind} target has no ARN`);
      targets.push({
        id: c.Id ?? `${r.logicalId}-${kind}-${i}`,
        events: c.Events ?? (c.Event ? [c.Event] : []),
        prefix: rule('prefix'),
        suffix: rule('suffix'),
        destination: { kind, arn },
      });
    }
  };
  add(config.LambdaFunctionConfigurations ?? config.LambdaConfigurations, 'lambda');
  add(config.QueueConfigurations, 'queue');
  return targets;
}

/**
 * `Custom::S3BucketNotifications` (what CDK's `bucket.addEventNotification` synthesizes): fauxqs has no
 * bucket notifications, so every object it stores in the bucket is matched against the configuration
 * here and its S3 event record sent to the function (an asynchronous invoke) or the queue.
 */
function provisionNotifications(r: PlannedResource, ctx: ProvisionContext) {
  const bucket = property<string>(ctx, r, 'BucketName') ?? fail(r, 'BucketName is required');
  deliverNotifications(r, ctx, bucket, property<Configurations>(ctx, r, 'NotificationConfiguration') ?? {});
  return { ref: `${bucket}-notifications`, attributes: {} };
}

/**
 * Sends the S3 event record of every object created in `bucket` to the targets of `config` that want
 * it (also used for an `AWS::S3::Bucket`'s own NotificationConfiguration).
 */
export function deliverNotifications(
  r: PlannedResource,
  ctx: ProvisionContext,
  bucket: string,
  config: Configurations,
): void {
  if (config.EventBridgeConfiguration)
    ctx.log(`note: ${r.logicalId}: EventBridge notifications are not emulated`);
  const targets = notificationTargets(r, config);
  if (targets.length === 0) return;
  const { sqs, pool } = ctx.services;
  for (const t of targets) {
    if (t.destination.kind === 'queue' && !ctx.world.queues.has(t.destination.arn))
      fail(r, `queue ${t.destination.arn} is not a queue of this stack`);
  }
  const client = { region: ctx.region, credentials: LOCAL_CREDENTIALS, endpoint: sqs.endpoint };
  const s3 = new S3Client({ ...client, forcePathStyle: true });
  const sqsClient = new SQSClient({ ...client, useQueueUrlAsEndpoint: false });
  let sequence = 0;
  // An asynchronous invoke: Lambda retries a failed one twice (after about 1 and 2 minutes; here 1 and 2 s).
  const invokeAsync = async (target: NotificationTarget, event: unknown) => {
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      const result = await pool.invoke(target.destination.arn, event);
      if (result.ok) return;
      ctx.log(
        `S3 notification ${target.id} → ${target.destination.arn} (attempt ${attempt}): ${result.error.errorMessage}`,
      );
      if (attempt < ASYNC_ATTEMPTS) await sleep(attempt * 1000);
    }
  };
  const deliver = async (created: ObjectCreated) => {
    if (created.bucket !== bucket) return;
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: created.key }));
    const eTag = head.ETag ?? '';
    const eventName = createdEventName(eTag);
    sequence++;
    for (const target of targets.filter((t) => wants(t, eventName, created.key))) {
      const record = s3EventRecord({
        region: ctx.region,
        configurationId: target.id,
        bucket,
        key: created.key,
        size: head.ContentLength ?? 0,
        eTag,
        eventName,
        time: head.LastModified ?? new Date(),
        sequence,
      });
      const body = { Records: [record] };
      if (target.destination.kind === 'lambda') {
        await invokeAsync(target, body);
      } else {
        const queue = ctx.world.queues.get(target.destination.arn);
        if (queue)
          await sqsClient.send(
            new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(body) }),
          );
      }
    }
  };
  sqs.onObjectCreated((created) => {
    deliver(created).catch((error: unknown) =>
      ctx.log(`S3 notification for ${bucket}/${created.key}: ${String(error)}`),
    );
  });
}

export const s3NotificationProvisioners: Readonly<Record<string, Provisioner>> = {
  'Custom::S3BucketNotifications': {
    properties: {
      allowed: [
        'ServiceToken',
        'BucketName',
        'NotificationConfiguration',
        'Managed',
        'SkipDestinationValidation',
      ],
    },
    provision: provisionNotifications,
  },
};
