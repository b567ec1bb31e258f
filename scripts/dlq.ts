/**
 * `npm run dlq -- list|show|redrive [queue] [--local] [--endpoint URL] [--stack NAME] [--max N] [--rate N]`
 *
 * AWS: the DLQs are the stack's outputs (`aws cloudformation describe-stacks`), redrive is SQS's
 * StartMessageMoveTask. `--local`: the DLQs come from cdk.out and the SQS endpoint `npm start` prints
 * (`--endpoint`, or AWS_ENDPOINT_URL_SQS); the emulator has no move tasks, so the CLI moves the
 * messages itself (receive, send to the source queue, delete), at the same bounded rate.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.ts';
import {
  awsDeadLetterQueues,
  type DeadLetterQueueRef,
  findDeadLetterQueue,
  listDepths,
  localDeadLetterQueues,
  redrive,
  showMessages,
} from './dlq-operations.ts';

const USAGE =
  'Usage: npm run dlq -- list | show <queue> [--max N] | redrive <queue> [--rate N]  [--local [--endpoint URL]] [--stack NAME]';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean', default: false },
    endpoint: { type: 'string' },
    stack: { type: 'string' },
    max: { type: 'string', default: '10' },
    rate: { type: 'string', default: '10' },
  },
});
const [command, queueName] = positionals;

async function stackOutputs(stackName: string): Promise<Record<string, string>> {
  const { stdout } = await promisify(execFile)(
    'aws',
    ['cloudformation', 'describe-stacks', '--stack-name', stackName, '--output', 'json'],
    { timeout: 30_000 },
  );
  const parsed = JSON.parse(stdout) as {
    Stacks?: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  };
  return Object.fromEntries((parsed.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

async function main(): Promise<void> {
  if (!command || !['list', 'show', 'redrive'].includes(command) || (command !== 'list' && !queueName)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  let client: SQSClient;
  let queues: DeadLetterQueueRef[];
  if (values.local) {
    const endpoint = values.endpoint ?? process.env.AWS_ENDPOINT_URL_SQS;
    if (!endpoint)
      throw new Error('--local needs --endpoint <the SQS URL npm start prints> or AWS_ENDPOINT_URL_SQS');
    client = new SQSClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    queues = localDeadLetterQueues(join(process.cwd(), 'cdk.out'), endpoint, values.stack);
  } else {
    client = new SQSClient({});
    queues = awsDeadLetterQueues(await stackOutputs(values.stack ?? 'Ledgerline'));
  }
  try {
    if (command === 'list') {
      for (const q of await listDepths(client, queues)) {
        console.log(
          `${q.name.padEnd(24)} ${String(q.visible).padStart(6)} waiting ${String(q.inFlight).padStart(4)} in flight  ${q.kind === 'redrive' ? 'redrivable' : 'stream metadata'}  ${q.url}`,
        );
      }
      return;
    }
    const queue = findDeadLetterQueue(queues, queueName ?? '');
    if (command === 'show') {
      for (const message of await showMessages(client, queue, Number(values.max)))
        console.log(JSON.stringify(message));
      return;
    }
    const report = await redrive(client, queue, {
      rate: Number(values.rate),
      mode: values.local ? 'manual' : 'native',
      log: (line) => console.error(line),
    });
    console.log(JSON.stringify(report));
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
});
