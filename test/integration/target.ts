// Which deployment the black-box suite talks to: TEST_TARGET=local (default) | localstack | aws.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL; paths such as `/accounts` are appended to it (stage included where the target needs it). */
    apiUrl: string;
    /** A key of one tenant. */
    apiKey: string;
    /** A key of another tenant. */
    secondApiKey: string;
    targetName: string;
    /** Set when the target cannot be reached: the suites skip and say why. */
    skipReason: string | null;
    /** The processor's webhook signing secret, so tests can sign as the processor; null when unknown. */
    processorWebhookSecret: string | null;
    /** The local runtime's SQS and DynamoDB endpoints, cdk.out and events table (white-box helpers); null elsewhere. */
    localRuntime: LocalRuntimeInfo | null;
    /** What an operator reaches for the payment saga (issue 5): null when the target does not expose it. */
    paymentsOperator: PaymentsOperatorInfo | null;
  }
}

/** The payment saga's operator surface: Step Functions and the sandbox processor's test helpers. */
export interface PaymentsOperatorInfo {
  /** Step Functions endpoint (local), or undefined for AWS's own. */
  readonly stepFunctionsEndpoint: string | undefined;
  readonly stateMachineArn: string;
  readonly processorUrl: string;
  readonly processorSecret: string;
}

export type TargetName = 'local' | 'localstack' | 'aws';

/** What a test may reach inside the local runtime besides HTTP. */
export interface LocalRuntimeInfo {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly cdkOut: string;
  readonly eventsTable: string;
  /** The runtime's state file (local/state-file.ts), as `npm start` writes it: the `ledgerline` CLI reads it. */
  readonly stateFile: string;
}

export interface Target {
  readonly name: TargetName;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly secondApiKey: string;
  readonly skipReason: string | null;
  readonly processorWebhookSecret?: string | null;
  readonly localRuntime?: LocalRuntimeInfo | null;
  readonly paymentsOperator?: PaymentsOperatorInfo | null;
  teardown(): Promise<void>;
}

/** The processor webhook secret the local target starts with (LEDGERLINE_LOCAL_SECRET_ProcessorWebhookSecret locally). */
const LOCAL_PROCESSOR_WEBHOOK_SECRET = 'integration-processor-webhook-secret-0123456789';

const run = promisify(execFile);
const projectRoot = join(import.meta.dirname, '..', '..');

function skipped(name: TargetName, reason: string): Target {
  return { name, apiUrl: '', apiKey: '', secondApiKey: '', skipReason: reason, teardown: async () => {} };
}

/** Reads `describe-stacks` outputs with the AWS CLI (`endpoint` for LocalStack). */
async function stackOutputs(stackName: string, endpoint?: string): Promise<Record<string, string>> {
  const args = ['cloudformation', 'describe-stacks', '--stack-name', stackName, '--output', 'json'];
  if (endpoint) args.push('--endpoint-url', endpoint);
  const { stdout } = await run('aws', args, { timeout: 30_000 });
  const parsed = JSON.parse(stdout) as {
    Stacks?: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  };
  return Object.fromEntries((parsed.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

/** The REST API URL output CDK adds (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/`). */
function apiEndpointOutput(
  outputs: Record<string, string>,
): { url: string; apiId: string; stage: string } | undefined {
  for (const url of Object.values(outputs)) {
    const match = /^https:\/\/([a-z0-9]+)\.execute-api\.[^/]+\/([^/]+)\/?$/.exec(url);
    if (match?.[1] && match[2]) return { url: url.replace(/\/$/, ''), apiId: match[1], stage: match[2] };
  }
  return undefined;
}

function keysFromEnv(name: TargetName): { apiKey: string; secondApiKey: string } | Target {
  const apiKey = process.env.LEDGERLINE_API_KEY;
  const secondApiKey = process.env.LEDGERLINE_API_KEY_2;
  if (!apiKey || !secondApiKey) {
    return skipped(
      name,
      'set LEDGERLINE_API_KEY and LEDGERLINE_API_KEY_2 to two API keys of the deployed stack (two tenants)',
    );
  }
  return { apiKey, secondApiKey };
}

/** The saga's state machine, the sandbox processor's URL and its secret, from the local runtime. */
function localPaymentsOperator(runtime: {
  readonly endpoints: { readonly stepFunctions: string };
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly refs: Readonly<Record<string, string>>;
  secretValue(id: string): string | undefined;
}): PaymentsOperatorInfo | null {
  const output = (prefix: string) =>
    Object.entries(runtime.outputs).find(([key]) => key.startsWith(prefix))?.[1] as string | undefined;
  const secretId = Object.keys(runtime.refs).find((id) => id.startsWith('SandboxProcessorApiSecret'));
  const stateMachineArn = output('PaymentStateMachineArn');
  const processorUrl = output('SandboxProcessorUrl');
  const processorSecret = secretId ? runtime.secretValue(secretId) : undefined;
  if (!stateMachineArn || !processorUrl || !processorSecret) return null;
  return {
    stepFunctionsEndpoint: runtime.endpoints.stepFunctions,
    stateMachineArn,
    processorUrl,
    processorSecret,
  };
}

async function localTarget(): Promise<Target> {
  const { ensureAssembly } = await import('../../local/synth.ts');
  const { startLocalRuntime } = await import('../../local/runtime.ts');
  const { removeStateFile, stateOf, writeStateFile } = await import('../../local/state-file.ts');
  const cdkOut = join(projectRoot, 'cdk.out');
  if (await ensureAssembly(projectRoot, cdkOut, true)) console.log('integration: synthesized cdk.out');
  const logFile = join(tmpdir(), `ledgerline-integration-${process.pid}.log`);
  const logs = createWriteStream(logFile);
  const inherit = process.env.LEDGERLINE_LOCAL_LOGS === 'inherit';
  // The runtime seeds each key as a tenant of its own (tenants table, every scope, tier standard); the
  // tenants test makes more with the tenants CLI.
  const keys = ['integration-tenant-one-0123456789', 'integration-tenant-two-0123456789'];
  const runtime = await startLocalRuntime({
    cdkOut,
    projectRoot,
    port: 0,
    apiKeys: keys,
    secrets: { ProcessorWebhookSecret: LOCAL_PROCESSOR_WEBHOOK_SECRET },
    log: (line) => logs.write(`${line}\n`),
    functionLog: (fn, line) =>
      inherit ? process.stdout.write(`[${fn}] ${line}\n`) : logs.write(`[${fn}] ${line}\n`),
  });
  console.log(
    `integration: local runtime at ${runtime.apiUrl}; function logs in ${logFile} (LEDGERLINE_LOCAL_LOGS=inherit to print)`,
  );
  const stateFile = join(tmpdir(), `ledgerline-integration-${process.pid}.json`);
  writeStateFile(stateFile, stateOf(runtime, { cdkOut }));
  return {
    name: 'local',
    apiUrl: runtime.apiUrl ?? '',
    apiKey: keys[0] as string,
    secondApiKey: keys[1] as string,
    skipReason: runtime.apiUrl ? null : 'the stack has no REST API',
    processorWebhookSecret: LOCAL_PROCESSOR_WEBHOOK_SECRET,
    paymentsOperator: localPaymentsOperator(runtime),
    localRuntime: {
      sqsEndpoint: runtime.endpoints.sqs,
      dynamodbEndpoint: runtime.endpoints.dynamodb ?? '',
      cdkOut,
      eventsTable:
        Object.entries(runtime.refs).find(([id]) => /^EventStoreEvents[0-9A-F]{8}$/.test(id))?.[1] ?? '',
      stateFile,
    },
    async teardown() {
      removeStateFile(stateFile);
      await runtime.stop();
      logs.end();
    },
  };
}

async function localstackTarget(): Promise<Target> {
  if (!process.env.LOCALSTACK_AUTH_TOKEN) return skipped('localstack', 'LOCALSTACK_AUTH_TOKEN is not set');
  const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost.localstack.cloud:4566';
  try {
    const health = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(3000) });
    if (!health.ok) return skipped('localstack', `LocalStack at ${endpoint} answered ${health.status}`);
  } catch (error) {
    return skipped(
      'localstack',
      `LocalStack is not reachable at ${endpoint} (${(error as Error).message}); start it and run scripts/localstack-deploy.sh`,
    );
  }
  const keys = keysFromEnv('localstack');
  if ('skipReason' in keys) return keys;
  let outputs: Record<string, string>;
  try {
    outputs = await stackOutputs(process.env.LEDGERLINE_STACK ?? 'Ledgerline', endpoint);
  } catch (error) {
    return skipped(
      'localstack',
      `cannot read the stack outputs from LocalStack: ${(error as Error).message}`,
    );
  }
  const api = apiEndpointOutput(outputs);
  if (!api)
    return skipped(
      'localstack',
      'the stack has no REST API URL output (was it deployed with scripts/localstack-deploy.sh?)',
    );
  const port = new URL(endpoint).port || '4566';
  return {
    name: 'localstack',
    // LocalStack serves REST APIs by id and stage *name*: http://<apiId>.execute-api.localhost.localstack.cloud:4566/<stage>
    apiUrl: `http://${api.apiId}.execute-api.localhost.localstack.cloud:${port}/${api.stage}`,
    ...keys,
    skipReason: null,
    teardown: async () => {},
  };
}

async function awsTarget(): Promise<Target> {
  const keys = keysFromEnv('aws');
  if ('skipReason' in keys) return keys;
  if (process.env.LEDGERLINE_API_URL) {
    return {
      name: 'aws',
      apiUrl: process.env.LEDGERLINE_API_URL.replace(/\/$/, ''),
      ...keys,
      skipReason: null,
      teardown: async () => {},
    };
  }
  let outputs: Record<string, string>;
  try {
    outputs = await stackOutputs(process.env.LEDGERLINE_STACK ?? 'Ledgerline');
  } catch (error) {
    return skipped(
      'aws',
      `cannot read the stack outputs (aws cloudformation describe-stacks): ${(error as Error).message}`,
    );
  }
  const api = apiEndpointOutput(outputs);
  if (!api) return skipped('aws', 'the stack has no REST API URL output');
  return { name: 'aws', apiUrl: api.url, ...keys, skipReason: null, teardown: async () => {} };
}

/** Resolves TEST_TARGET into a reachable API, or a target that says why it is skipped. */
export async function resolveTarget(): Promise<Target> {
  const name = (process.env.TEST_TARGET ?? 'local') as TargetName;
  switch (name) {
    case 'local':
      return localTarget();
    case 'localstack':
      return localstackTarget();
    case 'aws':
      return awsTarget();
    default:
      throw new Error(`TEST_TARGET must be local, localstack or aws, got ${String(name)}`);
  }
}

/** `describe`, skipped with the reason in its name when the target is not available. */
export function describeTarget(
  name: string,
  skipReason: string | null,
  targetName: string,
  body: () => void,
): void {
  if (skipReason) describe.skip(`${name} (SKIPPED: TEST_TARGET=${targetName} — ${skipReason})`, body);
  else describe(`${name} [${targetName}]`, body);
}
