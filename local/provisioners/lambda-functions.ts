import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../dynamodb.ts';
import type { FunctionSpec } from '../lambda-pool.ts';
import { arns } from '../naming.ts';
import type { PlannedResource } from '../template.ts';
import { fail, type ProvisionContext, type Provisioner, resourceName } from './provisioner.ts';

/** The function as a worker runs it: its bundled entry file, limits, and the environment Lambda gives it. */
function functionSpec(r: PlannedResource, name: string, arn: string, ctx: ProvisionContext): FunctionSpec {
  const { services } = ctx;
  const p = ctx.values.resolve<Record<string, unknown>>(
    Object.fromEntries(Object.entries(r.properties).filter(([k]) => k !== 'Role')),
    r.logicalId,
  );
  if (p.PackageType === 'Image') fail(r, 'container image functions are not supported locally');
  const runtime = String(p.Runtime ?? '');
  if (!runtime.startsWith('nodejs'))
    fail(r, `runtime ${runtime || '(none)'} is not supported locally (Node.js only)`);
  const code = (p.Code ?? {}) as { S3Key?: string; ZipFile?: string };
  if (code.ZipFile !== undefined)
    fail(r, 'inline code (Code.ZipFile) is not supported locally; use a bundled asset');
  const assetDir = code.S3Key ? ctx.assembly.assetPath(code.S3Key) : undefined;
  if (!assetDir || !existsSync(assetDir))
    return fail(r, `the code asset ${code.S3Key ?? '(none)'} is not in the cloud assembly`);
  const handler = String(p.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) fail(r, `Handler ${handler} must look like file.export`);
  const base = join(assetDir, handler.slice(0, dot));
  const entryFile =
    ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((file) => existsSync(file)) ??
    fail(r, `handler file ${handler.slice(0, dot)}.mjs/.js/.cjs not found in ${assetDir}`);
  const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const logging = (p.LoggingConfig ?? {}) as { LogFormat?: string; ApplicationLogLevel?: string };
  const memoryMb = Number(p.MemorySize ?? 128);
  const env: Record<string, string> = {
    AWS_REGION: ctx.region,
    AWS_DEFAULT_REGION: ctx.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: services.sqs.endpoint,
    // fauxqs serves S3 on the SQS endpoint, path-style only (read by lambdas/shared/config.ts s3ClientConfig).
    AWS_ENDPOINT_URL_S3: services.sqs.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ENDPOINT_URL_SFN: services.sfnEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.secrets.endpoint,
    ...(services.dynamo
      ? {
          AWS_ENDPOINT_URL_DYNAMODB: services.dynamo.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB_STREAMS: services.dynamo.endpoint,
        }
      : {}),
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    LAMBDA_TASK_ROOT: assetDir,
    _HANDLER: handler,
    ...(logging.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
    ...(logging.ApplicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel } : {}),
  };
  for (const [key, value] of Object.entries(variables)) env[key] = String(value);
  const reserved = p.ReservedConcurrentExecutions;
  return {
    logicalId: r.logicalId,
    name,
    arn,
    entryFile,
    exportName: handler.slice(dot + 1),
    handler,
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb,
    env,
    ...(reserved !== undefined ? { reservedConcurrency: Number(reserved) } : {}),
  };
}

/** `AWS::Lambda::Function`: a Node.js function of the Lambda pool (CDK's own provider functions are not run). */
export const lambdaFunctionProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::Lambda::Function': {
    properties: {
      allowed: [
        'Code',
        'Handler',
        'Runtime',
        'Timeout',
        'MemorySize',
        'Environment',
        'FunctionName',
        'ReservedConcurrentExecutions',
        'LoggingConfig',
        'Role',
        'Architectures',
        'Description',
        'Tags',
        'TracingConfig',
        'VpcConfig',
        'KmsKeyArn',
        'EphemeralStorage',
        'RuntimeManagementConfig',
        'DeadLetterConfig',
        'SnapStart',
        'CodeSigningConfigArn',
        'PackageType',
      ],
      unsupported: {
        Layers: 'layers are not loaded locally; bundle the code instead',
        ImageConfig: 'container image functions are not supported locally',
        FileSystemConfigs: 'EFS mounts are not emulated',
      },
    },
    provision(r, ctx) {
      const name = resourceName(ctx, r, 'FunctionName', 64);
      const arn = arns.lambda(ctx.region, name);
      if (ctx.providers.has(r.logicalId))
        ctx.log(`skipped ${r.logicalId}: it only serves a CDK custom resource`);
      else ctx.services.pool.register(functionSpec(r, name, arn, ctx));
      return { ref: name, attributes: { Arn: arn } };
    },
  },
};
