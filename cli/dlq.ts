// `ledgerline dlq list|show|redrive`: the stack's dead-letter queues.
import { SQSClient } from '@aws-sdk/client-sqs';
import { integer, type Register } from './context.ts';
import {
  awsDeadLetterQueues,
  type DeadLetterQueueRef,
  findDeadLetterQueue,
  listDepths,
  redrive,
  showMessages,
  templateDeadLetterQueues,
} from './dlq-operations.ts';
import { table } from './output.ts';
import type { OperatorTarget } from './target.ts';

/** The target's DLQs: from the template and the runtime's queue URLs locally, from the outputs on AWS. */
async function deadLetterQueues(target: OperatorTarget): Promise<DeadLetterQueueRef[]> {
  if (target.kind === 'stage') return awsDeadLetterQueues(target.outputs);
  const [template, refs] = await Promise.all([target.template(), target.refs()]);
  return templateDeadLetterQueues(template, (logicalId) => refs[logicalId] ?? logicalId);
}

async function withSqs<T>(target: OperatorTarget, body: (client: SQSClient) => Promise<T>): Promise<T> {
  const client = new SQSClient({ ...target.clientConfig('sqs'), useQueueUrlAsEndpoint: false });
  try {
    return await body(client);
  } finally {
    client.destroy();
  }
}

export const registerDlq: Register = (parent, run) => {
  const dlq = parent
    .command('dlq')
    .description('dead-letter queues: list them, show their messages, redrive them');

  dlq
    .command('list')
    .description("the stack's DLQs and their depth")
    .action(
      run(async ({ out, target: resolve }) => {
        const target = await resolve();
        const queues = await deadLetterQueues(target);
        const depths = await withSqs(target, (client) => listDepths(client, queues));
        out.result(depths, () =>
          table([
            ['NAME', 'WAITING', 'IN FLIGHT', 'KIND', 'URL'],
            ...depths.map((q) => [
              q.name,
              String(q.visible),
              String(q.inFlight),
              q.kind === 'redrive' ? 'redrivable' : 'stream metadata',
              q.url,
            ]),
          ]),
        );
        return undefined;
      }),
    );

  dlq
    .command('show')
    .description('print messages without consuming them (received, then made visible again at once)')
    .argument('<queue>', "a DLQ's name (see 'dlq list') or URL")
    .option('--max <n>', 'at most this many messages', integer(1, 1000), 10)
    .action(
      run(async ({ out, target: resolve }, [name], options) => {
        const target = await resolve();
        const queue = findDeadLetterQueue(await deadLetterQueues(target), name ?? '');
        const messages = await withSqs(target, (client) =>
          showMessages(client, queue, options.max as number),
        );
        out.result(messages, () =>
          messages.length === 0
            ? `${queue.name} is empty`
            : messages.map((m) => JSON.stringify(m)).join('\n'),
        );
        return undefined;
      }),
    );

  dlq
    .command('redrive')
    .description('move the messages back to their source queue at a bounded rate, and wait until done')
    .argument('<queue>', "a DLQ's name (see 'dlq list') or URL")
    .option('--rate <n>', 'messages per second', integer(1, 500), 10)
    .action(
      run(async ({ out, target: resolve }, [name], options) => {
        const target = await resolve();
        const queue = findDeadLetterQueue(await deadLetterQueues(target), name ?? '');
        // The local SQS emulator has no StartMessageMoveTask: the CLI moves the messages itself.
        const report = await withSqs(target, (client) =>
          redrive(client, queue, {
            rate: options.rate as number,
            mode: target.kind === 'local' ? 'manual' : 'native',
            log: (line) => out.progress(`${queue.name}: ${line}`),
          }),
        );
        out.result(report, () => `${queue.name}: moved ${report.moved} message(s) back to the source queue`);
        return undefined;
      }),
    );
};
