import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import {
  type FunctionUrl,
  FunctionUrlAuthType,
  type Function as LambdaFunction,
} from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { ApiFunction } from './api-function.ts';
import { grantProcessorCall, type ProcessorConnection } from './processor-connection.ts';

/** Properties of a {@link SandboxProcessor}. */
export interface SandboxProcessorProps {
  /**
   * How long a `pm_card_timeout` capture takes before it answers; longer than the client's timeout.
   * @default Duration.seconds(6)
   */
  readonly slowCapture?: Duration;
}

/**
 * The sandbox card processor, deployed with the stack: a Lambda behind a Function URL (auth NONE:
 * the handler checks `Authorization: Bearer <secret>` in constant time), its state in a small table
 * (idempotency per key, TTL 7 days), and the API secret in Secrets Manager (generated).
 * Test tokens drive every failure path: `pm_card_declined`, `pm_card_timeout`, `pm_card_transient`,
 * `pm_card_refund_fails`. Only non-production stages deploy it (see LedgerlineStack).
 */
export class SandboxProcessor extends Construct implements ProcessorConnection {
  public readonly function: ApiFunction;
  public readonly url: FunctionUrl;
  /** The API secret the saga's clients send and the sandbox checks. */
  public readonly secret: Secret;
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: SandboxProcessorProps = {}) {
    super(scope, id);
    this.secret = new Secret(this, 'ApiSecret', {
      description: 'Bearer secret of the sandbox payment processor',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    this.table = new TableV2(this, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const slow = props.slowCapture ?? Duration.seconds(6);
    this.function = new ApiFunction(this, 'Function', {
      entry: 'lambdas/handlers/sandbox/processor.ts',
      // Covers the slow capture with room to spare.
      timeout: Duration.seconds(slow.toSeconds() + 9),
      environment: {
        [ENV.sandboxTable]: this.table.tableName,
        [ENV.processorSecretArn]: this.secret.secretArn,
        [ENV.sandboxSlowCaptureMs]: String(slow.toMilliseconds()),
      },
    });
    const fn = this.function.function;
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
    this.secret.grantRead(fn);
    this.url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    new CfnOutput(this, 'Url', {
      value: this.url.url,
      description: 'Sandbox processor base URL (Bearer secret in the ApiSecret secret)',
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A sandbox API secret shared by two functions of this stack; rotating it buys nothing.',
    });
  }

  public grantCall(fn: LambdaFunction): void {
    grantProcessorCall(fn, this.url.url, this.secret);
  }
}
