import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnPermission, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IMPORTS_ENV } from '../lambdas/shared/config.ts';
import { ApiFunction } from './api-function.ts';
import type { EventStore } from './event-store.ts';
import { WorkQueue } from './queues.ts';

/** Properties of {@link BulkImports}. */
export interface BulkImportsProps {
  readonly eventStore: EventStore;
  /**
   * Chunk workers at once (the mapping's maxConcurrency; at least 2). Each books its chunk's rows
   * `rowConcurrency` at a time.
   * @default 4
   */
  readonly workers?: number;
  /** @default 8 */
  readonly rowConcurrency?: number;
}

/** An upload's key: `<tenant>/<import>/source.csv`; the S3 notification fires on that suffix only. */
const SOURCE_SUFFIX = '/source.csv';

/**
 * Idempotent bulk imports of transfers (issue 14): the imports table (jobs, chunk records, row claims),
 * a private bucket for the uploaded files and error reports (keys start with the tenant), the
 * validator that S3 invokes on upload, and the chunk WorkQueue (with its DLQ) and its worker, which
 * books rows through the event store like any transfer.
 */
export class BulkImports extends Construct {
  public readonly table: TableV2;
  public readonly bucket: Bucket;
  public readonly validator: ApiFunction;
  public readonly chunkWorker: ApiFunction;
  public readonly chunks: WorkQueue;
  /**
   * The bucket's name as a string built from the stack, not a reference to the bucket: the validator's
   * variables and grants, and the invoke permission, use it, so the bucket (whose notification names
   * the validator) depends on none of them.
   */
  readonly #bucketName: string;

  constructor(scope: Construct, id: string, props: BulkImportsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.#bucketName = Fn.join('-', [stack.stackName.toLowerCase(), 'imports', Aws.ACCOUNT_ID, Aws.REGION]);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // A name known before the bucket exists: the invoke permission's source ARN is built from it,
      // which breaks the bucket → function → permission → bucket cycle without a custom resource.
      bucketName: this.#bucketName,
      // Sources and reports are working files: the ledger keeps the booked transfers.
      lifecycleRules: [
        { expiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.validator = new ApiFunction(this, 'Validator', {
      entry: 'lambdas/handlers/workers/imports-validate.ts',
      // Reads the whole file once (about 1 GB a minute), so 10M rows fit.
      timeout: Duration.minutes(5),
    });
    this.chunkWorker = new ApiFunction(this, 'ChunkWorker', {
      entry: 'lambdas/handlers/workers/imports-chunk.ts',
      // 1,000 rows, `rowConcurrency` at a time; a chunk cut short by the timeout resumes where it was
      // (rows already settled are not booked again).
      timeout: Duration.minutes(5),
    });
    const worker = this.chunkWorker.function;
    this.chunks = new WorkQueue(this, 'Chunks', {
      consumer: worker,
      description: 'import chunks',
      batchSize: 1,
      maxConcurrency: props.workers ?? 4,
    });
    worker.addEnvironment(IMPORTS_ENV.rowConcurrency, String(props.rowConcurrency ?? 8));

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Working files kept 30 days; who did what is in the ledger (every booked row is an event) and CloudTrail.',
    });

    const validator = this.validator.function;
    this.notifyOnUpload(validator);
    this.grantTable(validator, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    this.grantObjects(validator, ['s3:GetObject'], `*${SOURCE_SUFFIX}`);
    validator.addEnvironment(IMPORTS_ENV.chunksQueueUrl, this.chunks.queue.queueUrl);
    this.chunks.queue.grantSendMessages(validator);

    props.eventStore.grantAppend(worker);
    this.grantTable(worker, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    this.grantObjects(worker, ['s3:GetObject'], `*${SOURCE_SUFFIX}`);
    this.grantObjects(worker, ['s3:GetObject', 's3:PutObject'], '*/errors*');
    this.grantList(worker);
  }

  /**
   * S3 invokes the validator when an object whose key ends in /source.csv is created: declared on the
   * bucket itself (CDK's addEventNotification would add a custom resource and its handler function).
   */
  private notifyOnUpload(validator: LambdaFunction): void {
    const permission = new CfnPermission(this, 'S3InvokesValidator', {
      action: 'lambda:InvokeFunction',
      functionName: validator.functionArn,
      principal: 's3.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: this.#arn(''),
    });
    const bucket = this.bucket.node.defaultChild as CfnBucket;
    bucket.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: validator.functionArn,
          filter: { s3Key: { rules: [{ name: 'suffix', value: SOURCE_SUFFIX }] } },
        },
      ],
    };
    // S3 checks that it may invoke the function when the configuration is set.
    bucket.addDependency(permission);
  }

  /** POST /imports and retry-rejected: create jobs, sign upload URLs (PutObject on sources only). */
  public grantCreate(fn: LambdaFunction): void {
    this.grantTable(fn, ['dynamodb:GetItem', 'dynamodb:PutItem']);
    this.grantObjects(fn, ['s3:PutObject'], `*${SOURCE_SUFFIX}`);
    this.grantObjects(fn, ['s3:GetObject'], '*/errors.csv');
  }

  /** GET /imports/{id}: read jobs, sign error report URLs. */
  public grantRead(fn: LambdaFunction): void {
    this.grantTable(fn, ['dynamodb:GetItem']);
    this.grantObjects(fn, ['s3:GetObject'], '*/errors.csv');
  }

  private grantTable(fn: LambdaFunction, actions: string[]): Grant {
    fn.addEnvironment(IMPORTS_ENV.table, this.table.tableName);
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.table.tableArn] });
  }

  private grantObjects(fn: LambdaFunction, actions: string[], pattern: string): Grant {
    fn.addEnvironment(IMPORTS_ENV.bucket, this.#bucketName);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${Stack.of(this).stackName.toLowerCase()}-imports-<AWS::AccountId>-<AWS::Region>/${pattern}]`,
        reason:
          'Keys are <tenant>/<import>/…: the grant is to one kind of object (sources or error reports) of every import.',
      });
    }
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [this.#arn(`/${pattern}`)] });
  }

  private grantList(fn: LambdaFunction): Grant {
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:ListBucket'],
      resourceArns: [this.#arn('')],
    });
  }

  /** The bucket's ARN (and `suffix`), built from its name. */
  #arn(suffix: string): string {
    return Fn.join('', ['arn:', Aws.PARTITION, ':s3:::', this.#bucketName, suffix]);
  }
}
