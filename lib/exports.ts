import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { ApiFunction } from './api-function.ts';
import { WorkQueue } from './queues.ts';
import type { ReadModels } from './read-models.ts';
import type { RouteSpec } from './routes.ts';

/**
 * A streamed response may last up to 15 minutes on API Gateway (response streaming's maximum), so its
 * function may run as long; the first byte still has to come within the integration timeout (29 s).
 */
export const STREAMING_TIMEOUT_SECONDS = 900;
/** The export worker's timeout: Lambda's maximum; a longer job pauses and goes on in the next run. */
export const EXPORT_WORKER_TIMEOUT_SECONDS = 900;

/** Properties of {@link Exports}. */
export interface ExportsProps {
  readonly readModels: ReadModels;
  /** The routes; those with `responseStreaming` (streamed by LedgerApi.addRoute) get the streaming timeout. */
  readonly routes: readonly RouteSpec[];
  /** The function the stack made for a route. */
  readonly functionOf: (route: RouteSpec) => LambdaFunction | undefined;
}

/**
 * Statements and exports (issue 14).
 *
 * A streaming route is an API Gateway REST Lambda proxy with `ResponseTransferMode: STREAM` and the
 * `2021-11-15/.../response-streaming-invocations` URI (Lambda's InvokeWithResponseStream), its handler
 * wrapped in `awslambda.streamifyResponse`: LedgerApi.addRoute sets both from `RouteSpec.responseStreaming`
 * (CDK's `LambdaIntegration({ responseTransferMode })`); here its function gets the streaming timeout.
 *
 * Exports: a jobs table (tenant-scoped keys), a private bucket for the files (incomplete multipart
 * uploads aborted after 2 days, files expire after 7), and a worker on a WorkQueue with its DLQ.
 */
export class Exports extends Construct {
  public readonly jobs: TableV2;
  public readonly files: Bucket;
  public readonly worker: ApiFunction;
  public readonly queue: WorkQueue;

  constructor(scope: Construct, id: string, props: ExportsProps) {
    super(scope, id);
    for (const route of props.routes.filter((r) => r.responseStreaming)) streamRoute(props, route);

    this.jobs = new TableV2(this, 'Jobs', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.files = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(2), expiration: Duration.days(7) },
      ],
    });
    Validations.of(this.files).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Export files are written by one worker and read through presigned URLs; CloudTrail data events cover access.',
    });

    this.worker = new ApiFunction(this, 'Worker', {
      entry: 'lambdas/handlers/workers/export-worker.ts',
      timeout: Duration.seconds(EXPORT_WORKER_TIMEOUT_SECONDS),
    });
    this.queue = new WorkQueue(this, 'Queue', {
      consumer: this.worker.function,
      description: 'export jobs (POST /exports and the worker’s own continuations)',
      batchSize: 1,
      maxConcurrency: 10,
    });
    const worker = this.worker.function;
    this.grantJobs(worker, true);
    // GetObject for HeadObject: a resumed run checks whether the last one already completed the file.
    this.grantFiles(worker, ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject']);
    worker.addEnvironment(ENV.exportsQueueUrl, this.queue.queue.queueUrl);
    this.queue.queue.grantSendMessages(worker);
    // A statement's history, and the ledger's by-tenant-time index of it: no other read model.
    props.readModels.grantRead(worker, ['account-history']);

    for (const route of props.routes.filter((r) => r.path.startsWith('/exports'))) {
      const fn = props.functionOf(route);
      if (!fn) throw new Error(`Export route ${route.method} ${route.path} has no function`);
      this.grantJobs(fn, route.method === 'POST');
      if (route.method === 'POST') {
        fn.addEnvironment(ENV.exportsQueueUrl, this.queue.queue.queueUrl);
        this.queue.queue.grantSendMessages(fn);
      } else {
        // Presigned GET URLs act with the signer's permissions.
        this.grantFiles(fn, ['s3:GetObject']);
      }
    }
  }

  /** `actions` on the export files (`exports/*` of the bucket): the only wildcard, acknowledged. */
  private grantFiles(fn: LambdaFunction, actions: string[]): void {
    Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.files.arnForObjects('exports/*')] });
    const bucket = this.files.node.defaultChild;
    if (!(bucket instanceof CfnBucket) || !fn.role) throw new Error('Exports: no bucket resource or role');
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket)}.Arn>/exports/*]`,
      reason: 'Each export is its own object under exports/<tenant>/: the keys are not known in advance.',
    });
  }

  /** The jobs table (read, or read and write) and the bucket's name. */
  private grantJobs(fn: LambdaFunction, write: boolean): void {
    fn.addEnvironment(ENV.exportsTable, this.jobs.tableName);
    fn.addEnvironment(ENV.exportsBucket, this.files.bucketName);
    if (write) this.jobs.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
    else this.jobs.grant(fn, 'dynamodb:GetItem');
  }
}

/**
 * Gives a streaming route's function the streaming timeout (LedgerApi.addRoute made its method stream).
 */
function streamRoute(props: ExportsProps, route: RouteSpec): void {
  const cfnFunction = props.functionOf(route)?.node.defaultChild;
  if (!(cfnFunction instanceof CfnFunction)) {
    throw new Error(`Streaming route ${route.method} ${route.path} has no function to stream`);
  }
  cfnFunction.timeout = STREAMING_TIMEOUT_SECONDS;
}
