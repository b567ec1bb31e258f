// `npm start`: synthesize if needed, run the stack locally, stop everything on Ctrl-C / SIGTERM.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRuntimeError } from './errors.ts';
import { type LocalRuntime, startLocalRuntime } from './runtime.ts';
import { removeStateFile, stateFilePath, stateOf, writeStateFile } from './state-file.ts';
import { ensureAssembly } from './synth.ts';

const USAGE = `Usage: npm start -- [options]

  --port N            API port (default 3000)
  --dynamodb-port N   DynamoDB Local port (default: a free port)
  --sqs-port N        SQS emulator port (default: a free port)
  --sfn-port N        Step Functions endpoint port (default: a free port)
  --secrets-port N    Secrets Manager endpoint port (default: a free port)
  --persist DIR       keep tables, queues and stream positions in DIR between runs (default: fresh)
  --no-synth          use cdk.out as it is
  --stack NAME        stack to run when cdk.out holds several
  --help

Environment: LEDGERLINE_LOCAL_API_KEYS=key1,key2 adds API keys, each its own tenant (seeded in the tenants table).
LEDGERLINE_LOCAL_SECRET_<LogicalId>=value (or LEDGERLINE_LOCAL_SECRET_<LogicalId>_FILE=path) sets a
secret's value; otherwise it is generated (and kept with --persist).
LEDGERLINE_CHAOS=seed=<n>,<kind>=<rate>,… injects faults (see "Fault injection" in the README); the seed and
what was injected are printed at stop.`;

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new LocalRuntimeError(`--${name} must be a port number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      'sfn-port': { type: 'string' },
      'secrets-port': { type: 'string' },
      persist: { type: 'string' },
      'no-synth': { type: 'boolean', default: false },
      stack: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const projectRoot = process.cwd();
  const cdkOut = join(projectRoot, 'cdk.out');
  const started = Date.now();
  if (values['no-synth']) {
    if (!existsSync(join(cdkOut, 'manifest.json')))
      throw new LocalRuntimeError('--no-synth given but cdk.out has no manifest.json');
  } else if (await ensureAssembly(projectRoot, cdkOut)) {
    console.log(`synthesized cdk.out in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    console.log('cdk.out is up to date (newer than bin/, lib/, lambdas/, statemachines/)');
  }

  const runtimeStart = Date.now();
  let runtime: LocalRuntime | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.log('stopping already; press Ctrl-C again... forcing exit');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    removeStateFile(stateFilePath(projectRoot));
    await runtime?.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('uncaughtException', (error) => {
    console.error(error);
    void shutdown('uncaught exception');
  });

  runtime = await startLocalRuntime({
    cdkOut,
    projectRoot,
    ...(values.stack ? { stackName: values.stack } : {}),
    port: port(values.port, 'port', 3000),
    dynamodbPort: port(values['dynamodb-port'], 'dynamodb-port', 0),
    sqsPort: port(values['sqs-port'], 'sqs-port', 0),
    sfnPort: port(values['sfn-port'], 'sfn-port', 0),
    secretsManagerPort: port(values['secrets-port'], 'secrets-port', 0),
    ...(values.persist ? { persistDir: resolve(values.persist) } : {}),
  });
  if (stopping) return;
  writeStateFile(stateFilePath(projectRoot), stateOf(runtime, { cdkOut }));
  printSummary(runtime, Date.now() - runtimeStart, values.persist);
  console.log(`Operate it with npx ledgerline --help (endpoints in ${stateFilePath(projectRoot)}).`);
}

function printSummary(runtime: LocalRuntime, startMs: number, persist: string | undefined): void {
  const lines = [
    '',
    `Ledgerline stack ${runtime.stackName} running locally (started in ${(startMs / 1000).toFixed(1)} s${persist ? `, data in ${persist}` : ', fresh data'})`,
    `  API              ${runtime.apiUrl ?? '(no REST API in the stack)'}${runtime.api ? `   (stage ${runtime.api.stageName} is not part of the path)` : ''}`,
    `  DynamoDB Local   ${runtime.endpoints.dynamodb ?? '(no tables)'}`,
    `  SQS (fauxqs)     ${runtime.endpoints.sqs}`,
    `  Step Functions   ${runtime.endpoints.stepFunctions}`,
    `  Secrets Manager  ${runtime.endpoints.secretsManager}`,
    `  functions        ${runtime.functions.map((f) => f.logicalId).join(', ') || '(none)'}`,
    '',
    'API keys (Authorization: Bearer <key> or x-api-key), each its own tenant (all scopes, tier standard):',
    ...runtime.apiKeys.map(
      (k) =>
        `  ${k.value}   tenant ${k.id}   ${k.source === 'dev' ? 'development key' : `${k.source} ${k.name}`}${k.validForStage ? '' : '   (in no usage plan: refused)'}`,
    ),
    'More tenants and keys: npm run tenants -- --help',
  ];
  const url = runtime.apiUrl;
  const key = runtime.devApiKey.value;
  if (url) {
    lines.push(
      '',
      'Try:',
      `  curl -s -X POST ${url}/accounts -H 'x-api-key: ${key}' -H 'content-type: application/json' -H 'Idempotency-Key: try-1' -d '{"currency":"USD"}'`,
      `  curl -s ${url}/accounts/<id from above> -H 'x-api-key: ${key}'`,
      `  curl -si ${url}/accounts/does-not-exist   # no key: 401`,
    );
  }
  lines.push('', 'Ctrl-C stops everything.');
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error instanceof LocalRuntimeError ? `error: ${error.message}` : error);
  process.exit(1);
});
