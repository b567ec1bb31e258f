// `ledgerline projections rebuild|redrive|status`: the read models behind the GET routes.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Argument } from 'commander';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbReadModels } from '../lambdas/adapters/dynamodb-read-models.ts';
import { READ_MODELS, type ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { RebuildConflictError, rebuild } from '../lambdas/operations/rebuild.ts';
import { redrive } from '../lambdas/operations/redrive.ts';
import { type CommandContext, integer, type Register } from './context.ts';
import { OperatorError } from './errors.ts';
import { table } from './output.ts';
import { type ProjectionTarget, projectionTarget } from './projection-target.ts';

async function withProjections<T>(
  context: CommandContext,
  body: (target: ProjectionTarget) => Promise<T>,
): Promise<T> {
  const target = await projectionTarget(await context.target());
  try {
    return await body(target);
  } finally {
    target.destroy();
  }
}

/** Which table serves a read model, and where its last rebuild got to. */
export interface ReadModelStatus {
  readonly model: ReadModelName;
  readonly active: 'blue' | 'green';
  readonly table: string;
  readonly switchedAt: string | null;
  readonly rebuild: { readonly phase: string; readonly startedAt: string; readonly replayed: number } | null;
}

async function status(target: ProjectionTarget): Promise<{
  readModels: ReadModelStatus[];
  failureQueue: { url: string; waiting: number } | null;
}> {
  const item = async (pk: string) => {
    const { Item } = await target.dynamodb.send(
      new GetItemCommand({ TableName: target.pointersTable, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return Item ? unmarshall(Item) : undefined;
  };
  const readModels = await Promise.all(
    READ_MODELS.map(async (model): Promise<ReadModelStatus> => {
      const [pointer, checkpoint] = await Promise.all([item(model), item(`rebuild#${model}`)]);
      const active = pointer?.active === 'green' ? 'green' : 'blue';
      const c = checkpoint?.checkpoint as { phase: string; startedAt: string; replayed: number } | undefined;
      return {
        model,
        active,
        table: target.tables[model][active],
        switchedAt: (pointer?.switchedAt as string | undefined) ?? null,
        rebuild: c ? { phase: c.phase, startedAt: c.startedAt, replayed: c.replayed } : null,
      };
    }),
  );
  let failureQueue = null;
  if (target.failureQueueUrl) {
    const { Attributes } = await target.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: target.failureQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    failureQueue = {
      url: target.failureQueueUrl,
      waiting: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    };
  }
  return { readModels, failureQueue };
}

export const registerProjections: Register = (parent, run) => {
  const projections = parent
    .command('projections')
    .description(
      'read models: rebuild them from the event store, redrive failed batches, see which table serves',
    );

  projections
    .command('rebuild')
    .description(
      'replay the event store into the spare table, switch reads to it (no deploy), catch up; resumable',
    )
    .addArgument(new Argument('<model>', 'the read model, or all').choices([...READ_MODELS, 'all']))
    .option('--rate <n>', 'events per second', integer(1, 100_000))
    .option('--page-size <n>', 'events per Scan page', integer(1, 1000))
    .option('--settle-ms <n>', 'wait after the switch for every projector to see it', integer(0, 600_000))
    .option('--restart', 'start over instead of resuming a rebuild that was interrupted')
    .action(
      run(async (context, [which], options) => {
        const models = which === 'all' ? [...READ_MODELS] : [which as ReadModelName];
        const reports = await withProjections(context, async (target) => {
          const done = [];
          for (const model of models) {
            try {
              done.push(
                await rebuild({
                  dynamodb: target.dynamodb,
                  eventsTable: target.eventsTable,
                  model,
                  tables: target.tables[model],
                  pointersTable: target.pointersTable,
                  ...(options.rate ? { ratePerSecond: options.rate as number } : {}),
                  ...(options.pageSize ? { pageSize: options.pageSize as number } : {}),
                  ...(options.settleMs !== undefined ? { settleMs: options.settleMs as number } : {}),
                  restart: options.restart === true,
                  onProgress: (p) => context.out.bar(`${model} ${p.phase}`, p.done, p.total, p.perSecond),
                  log: (line) => context.out.progress(`${model}: ${line}`),
                }),
              );
            } catch (error) {
              if (!(error instanceof RebuildConflictError)) throw error;
              throw new OperatorError(`${model}: ${error.message}`, {
                fix: `run it again with --restart once no other rebuild of ${model} runs`,
                cause: error,
              });
            }
          }
          return done;
        });
        context.out.result(reports, () =>
          table([
            ['MODEL', 'SERVING', 'REPLAYED', 'CAUGHT UP', 'EVENTS/S', 'RESUMED'],
            ...reports.map((r) => [
              r.model,
              r.active,
              String(r.replayed),
              String(r.caughtUp),
              String(r.eventsPerSecond),
              r.resumed ? 'yes' : 'no',
            ]),
          ]),
        );
        return undefined;
      }),
    );

  projections
    .command('redrive')
    .description('re-apply the batches the projector gave up on (its failure queue), once the cause is fixed')
    .option('--max <n>', 'at most this many failure messages', integer(1, 100_000))
    .action(
      run(async (context, _args, options) => {
        const report = await withProjections(context, async (target) => {
          const queueUrl = target.failureQueueUrl;
          if (!queueUrl) throw new OperatorError('the stack has no ProjectorFailureQueueUrl output');
          return redrive({
            sqs: target.sqs,
            queueUrl,
            streams: target.streams,
            dynamodb: target.dynamodb,
            eventsTable: target.eventsTable,
            ports: {
              events: new DynamoDbEventStore({ client: target.dynamodb, tableName: target.eventsTable }),
              readModels: new DynamoDbReadModels({
                client: target.dynamodb,
                tables: target.tables,
                pointersTable: target.pointersTable,
              }),
            },
            ...(options.max ? { maxMessages: options.max as number } : {}),
            log: (line) => context.out.progress(line),
          });
        });
        context.out.result(
          report,
          () =>
            `${report.messages} failure message(s): ${report.fromStream} batch(es) from the stream, ` +
            `${report.fromEventStore} from the event store, ${report.events} event(s), ${report.failed} failed`,
        );
        if (report.failed > 0) {
          context.out.note(
            `${report.failed} message(s) failed again and stay in the queue: fix the cause (projector logs), then redrive again`,
          );
          return 1;
        }
        return undefined;
      }),
    );

  projections
    .command('status')
    .description('which table serves each read model, the last rebuild, and the failure queue depth')
    .action(
      run(async (context) => {
        const result = await withProjections(context, status);
        context.out.result(result, () =>
          [
            table([
              ['MODEL', 'SERVING', 'TABLE', 'SWITCHED', 'LAST REBUILD'],
              ...result.readModels.map((r) => [
                r.model,
                r.active,
                r.table,
                r.switchedAt ?? '-',
                r.rebuild ? `${r.rebuild.phase} (started ${r.rebuild.startedAt})` : '-',
              ]),
            ]),
            result.failureQueue
              ? `failure queue: ${result.failureQueue.waiting} message(s) waiting${result.failureQueue.waiting > 0 ? " (fix the cause, then 'ledgerline projections redrive')" : ''}`
              : 'failure queue: none in this stack',
          ].join('\n'),
        );
        return undefined;
      }),
    );
};
