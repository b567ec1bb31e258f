import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: entries, package-lock.json and tsconfig.json live here. */
export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * ESM bundles have no `require`; some bundled CommonJS dependencies call it anyway
 * (the Powertools and esbuild documented convention for ESM Lambda bundles).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Properties of an {@link ApiFunction}. */
export interface ApiFunctionProps {
  /** Handler entry, relative to the project root (or absolute); it must export `handler`. */
  readonly entry: string;
  /** Extra environment variables; table names are added by the tables' `grantX` methods. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Hard limit per invocation. API Gateway gives up after 29 s; 10 s bounds the
   * command's conflict retries and makes a crashed request's idempotency lock
   * (which expires with the function timeout) short.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * 1024 MB: Lambda CPU scales with memory, and cold start (parsing a bundle that
   * carries the AWS SDK, zod and Powertools) is CPU-bound; at 512 MB it roughly
   * doubles while the GB-second cost stays about flat. Re-tune with Lambda Power Tuning.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's own log group.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}

/**
 * One Lambda function with Ledgerline's defaults: Node.js 24 on arm64, an ESM bundle
 * built by the local esbuild (never Docker) with the AWS SDK inside, source maps,
 * JSON logs into its own log group, X-Ray tracing, and a role that may write only
 * to that log group until a table's `grantX` method adds more.
 */
export class ApiFunction extends Construct {
  /** The function; pass it to the tables' `grantX` methods. */
  public readonly function: NodejsFunction;
  /** The execution role (no AWS managed policies). */
  public readonly role: Role;
  /** The function's log group (JSON format, explicit retention). */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);

    // An explicit group instead of `logRetention`, which would add a Custom::LogRetention
    // provider function to the template.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Our own role instead of the default one, which carries the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every group in the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    const entry = isAbsolute(props.entry) ? props.entry : join(PROJECT_ROOT, props.entry);
    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 1024,
      role: this.role,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'ledgerline',
        LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        externalModules: [],
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (added by tracing).',
    });
  }
}
