/**
 * `npm run projections:redrive -- <failureQueueUrl|local> [--max N]`: re-applies the batches the
 * projector gave up on (once their cause is fixed), deleting each failure message only on success.
 * `local` takes the queue and tables from cdk.out and AWS_ENDPOINT_URL_DYNAMODB/_SQS (npm start prints them);
 * a queue URL uses the projector's table variables (EVENTS_TABLE_NAME, *_TABLES, READ_MODEL_POINTERS_TABLE).
 */
import { parseArgs } from 'node:util';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbReadModels } from '../lambdas/adapters/dynamodb-read-models.ts';
import { redrive } from '../lambdas/operations/redrive.ts';
import { cloudTarget, localTarget } from './projections-config.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { max: { type: 'string' } } });
const [where] = positionals;
if (!where) {
  console.error('Usage: npm run projections:redrive -- <failureQueueUrl|local> [--max N]');
  process.exit(2);
}
const target = where === 'local' ? localTarget() : cloudTarget(where);
try {
  const queueUrl = target.failureQueueUrl;
  if (!queueUrl) throw new Error('No failure queue URL: set AWS_ENDPOINT_URL_SQS for local, or pass the URL');
  const report = await redrive({
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
    ...(values.max ? { maxMessages: Number(values.max) } : {}),
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(report));
  process.exitCode = report.failed > 0 ? 1 : 0;
} finally {
  target.destroy();
}
