import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  CfnBucket,
  ObjectLockRetention,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUDIT_OUTPUTS, DIGEST_ENV, DIGEST_PREFIX } from '../lambdas/handlers/scheduled/digest-env.ts';
import { ApiFunction } from './api-function.ts';
import type { EventStore } from './event-store.ts';

/** Properties of an {@link Audit}. */
export interface AuditProps {
  /** The ledger whose stream heads are digested. */
  readonly eventStore: EventStore;
  /**
   * How long each digest object is locked (Object Lock, COMPLIANCE mode: nobody, root included, can
   * delete or overwrite it before then). Production keeps seven years.
   */
  readonly retention: Duration;
  /**
   * How often every tenant's digest is written. Each run scans the events table's keys (see
   * lambdas/application/audit-digest.ts for the cost): hourly by default.
   * @default Duration.hours(1)
   */
  readonly every?: Duration;
  /** @default RemovalPolicy.RETAIN (a locked bucket cannot be emptied before its objects' retention ends) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The tamper-evident history's AWS side: the audit key (a Secrets Manager secret generated at deploy,
 * for snapshot MACs and signed audit reports), the write-once digest bucket (S3 Object Lock,
 * COMPLIANCE), and the scheduled function that writes each tenant's Merkle root over its stream heads
 * there. `npm run audit:verify` reads all three (outputs AuditKeySecretArn, AuditDigestBucketName).
 */
export class Audit extends Construct {
  /** HMAC-SHA-256 key of snapshot MACs and audit reports. */
  public readonly key: Secret;
  /** Digests, write-once. */
  public readonly bucket: Bucket;
  /** The scheduled digest writer. */
  public readonly function: ApiFunction;
  /** Fires when digest runs fail twice in a row. */
  public readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: AuditProps) {
    super(scope, id);
    const every = props.every ?? Duration.hours(1);
    this.key = new Secret(this, 'Key', {
      description: 'Ledgerline audit key: HMAC-SHA-256 of snapshot MACs and audit:verify reports',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.key).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the audit key would invalidate every sealed snapshot (they are then replayed) and old reports.',
    });

    this.bucket = new Bucket(this, 'Digests', {
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(props.retention),
      versioned: true,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the digest function writes here, and Object Lock makes every object immutable; CloudTrail logs the writes.',
    });

    this.function = new ApiFunction(this, 'Function', {
      entry: 'lambdas/handlers/scheduled/digest.ts',
      timeout: Duration.minutes(5),
      environment: { [DIGEST_ENV.bucket]: this.bucket.bucketName },
    });
    const fn = this.function.function;
    props.eventStore.grantScanHeads(fn);
    // PutObject only, under digests/: no delete, no retention or legal-hold change, no abort.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${DIGEST_PREFIX}*`)],
      }),
    );
    const cfnBucket = this.bucket.node.defaultChild;
    if (!(cfnBucket instanceof CfnBucket)) throw new Error('The digest bucket has no CfnBucket');
    const bucketId = Stack.of(this).getLogicalId(cfnBucket);
    Validations.of(this.function).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${DIGEST_PREFIX}*]`,
      reason:
        'Digest objects are named per tenant and instant: PutObject on digests/* of the audit bucket only.',
    });

    new Rule(this, 'Schedule', {
      description: "Writes each tenant's digest of stream heads (lambdas/handlers/scheduled/digest.ts)",
      schedule: Schedule.rate(every),
      targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
    });
    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription: 'Audit digests are not being written (see the digest function logs)',
      metric: fn.metricErrors({ period: every, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Stack-level names, as audit:verify (cli/audit-source.ts) looks them up.
    new CfnOutput(this, 'AuditKeySecretArn', {
      value: this.key.secretArn,
      description: 'The audit key (snapshot MACs, signed audit reports): npm run audit:verify reads it',
    }).overrideLogicalId(AUDIT_OUTPUTS.keySecretArn);
    new CfnOutput(this, 'AuditDigestBucketName', {
      value: this.bucket.bucketName,
      description: "Write-once (Object Lock) digests of each tenant's stream heads",
    }).overrideLogicalId(AUDIT_OUTPUTS.digestBucket);
  }
}
