// `ledgerline dlq list|show|redrive`: the stack's dead-letter queues.
import { SQSClient } from '@aws-sdk/client-sqs';
import { type CommandContext, integer, type Register } from './context.ts';
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

/**
 * Runs `body` with an SQS client for the target and its DLQs: all of them, or the one named `name` (a
 * name `dlq list` shows, or a URL).
 */
async function withQueues<T>(
  context: CommandContext,
  name: string | undefined,
  body: (client: SQSClient, queues: DeadLetterQueueRef[], target: OperatorTarget) => Promise<T>,
): Promise<T> {
  const target = await context.target();
  const all = await deadLetterQueues(target);
  const queues = name === undefined ? all : [findDeadLetterQueue(all, name)];
  const client = new SQSClient({ ...target.clientConfig('sqs'), useQueueUrlAsEndpoint: false });
  try {
    return await body(client, queues, target);
  } finally {
    client.destroy();
  }
}

/** `withQueues` for the one DLQ named `name`. */
function withQueue<T>(
  context: CommandContext,
  name: string,
  body: (client: SQSClient, queue: DeadLetterQueueRef, target: OperatorTarget) => Promise<T>,
): Promise<T> {
  // findDeadLetterQueue returned exactly one queue or threw.
  return withQueues(context, name, (client, [queue], target) =>
    body(client, queue as DeadLetterQueueRef, target),
  );
}

export const registerDlq: Register = (parent, run) => {
  const dlq = parent
    .command('dlq')
    .description('dead-letter queues: list them, show their messages, redrive them');

  dlq
    .command('list')
    .description("the stack's DLQs and their depth")
    .action(
      run(async (context) => {
        const depths = await withQueues(context, undefined, listDepths);
        context.out.result(depths, () =>
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
      run(async (context, [name = ''], options) => {
        const messages = await withQueue(context, name, (client, queue) =>
          showMessages(client, queue, options.max as number),
        );
        context.out.result(messages, () =>
          messages.length === 0 ? `${name} is empty` : messages.map((m) => JSON.stringify(m)).join('\n'),
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
      run(async (context, [name = ''], options) => {
        // The local SQS emulator has no StartMessageMoveTask: the CLI moves the messages itself.
        const report = await withQueue(context, name, (client, queue, target) =>
          redrive(client, queue, {
            rate: options.rate as number,
            mode: target.kind === 'local' ? 'manual' : 'native',
            log: (line) => context.out.progress(`${name}: ${line}`),
          }),
        );
        context.out.result(
          report,
          () => `${name}: moved ${report.moved} message(s) back to the source queue`,
        );
        return undefined;
      }),
    );
};
