// The local alarm evaluator end to end: a MODIFY on the events table (tampering: nothing in the stack may
// change an event) reaches the projector through the stream, the projector's EMF count breaches the tamper
// alarm, and the runtime prints the transition and publishes CloudWatch's notification to the stage's alarm
// topic (SNS on the SQS emulator; a queue subscribed here reads it). Past the alarm's period with no more
// data it goes back to OK, published too. The evaluator's clock is the runtime's `alarmClock`: no waiting.
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import { localSnsClient } from '../../local/provisioners/sns-topics.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { apiClient } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  dynamoDbOf,
  EVENTS_TABLE,
  ownRuntimeSkipReason,
  REGION,
  refOf,
  startOwnRuntime,
} from './observability-runtime.ts';
import { describeTarget } from './target.ts';

const targetName = inject('targetName');
const skipReason = ownRuntimeSkipReason('drives the local runtime’s alarm evaluator');
const KEY = 'alarms-tenant-0123456789abcdef0123';

const lines: string[] = [];
let runtime: LocalRuntime | undefined;
/** How far the evaluator's clock is ahead of the wall clock. */
let ahead = 0;
let sqs: SQSClient;
let queueUrl = '';

/** The alarm notifications the subscribed queue received so far (SNS envelopes unwrapped). */
const notifications: Record<string, unknown>[] = [];
async function receive(): Promise<Record<string, unknown>[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  for (const message of Messages) {
    const body = JSON.parse(message.Body ?? '{}') as { Message?: string };
    notifications.push(JSON.parse(body.Message ?? message.Body ?? '{}'));
  }
  return notifications;
}

describeTarget('local alarms, end to end', skipReason, targetName, () => {
  beforeAll(async () => {
    runtime = await startOwnRuntime(KEY, {
      alarmClock: () => Date.now() + ahead,
      log: (line) => lines.push(line),
    });
    sqs = new SQSClient({
      endpoint: runtime.endpoints.sqs,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alarm-inbox' }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const sns = localSnsClient(runtime.endpoints.sqs, REGION);
    await sns.send(
      new SubscribeCommand({
        TopicArn: String(runtime.outputs.AlarmTopicArn),
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
      }),
    );
    sns.destroy();
  }, 180_000);

  afterAll(async () => {
    sqs?.destroy();
    await runtime?.stop();
  });

  it('publishes the tamper alarm to the alarm topic when an event item is modified, and OK after its period', async () => {
    const request = apiClient(runtime?.apiUrl ?? '', KEY);
    expect((await request('POST', '/accounts', { currency: 'USD' })).status).toBe(201);
    const ddb = dynamoDbOf(runtime);
    const eventsTable = refOf(runtime, EVENTS_TABLE);
    const { Items = [] } = await ddb.send(
      new ScanCommand({ TableName: eventsTable, ProjectionExpression: 'pk, version' }),
    );
    const [item] = Items;
    expect(item).toBeDefined();
    // What nothing in the stack can do (the table's policy denies it on AWS): change an event in place.
    await ddb.send(
      new UpdateItemCommand({
        TableName: eventsTable,
        Key: { pk: item?.pk ?? { S: '' }, version: item?.version ?? { N: '0' } },
        UpdateExpression: 'SET tampered = :yes',
        ExpressionAttributeValues: { ':yes': { BOOL: true } },
      }),
    );
    ddb.destroy();

    const alarmed = await waitFor(async () => (await receive()).find((n) => n.NewStateValue === 'ALARM'), {
      timeoutMs: 30_000,
      what: 'the ALARM notification on the alarm topic',
    });
    expect(alarmed).toMatchObject({
      AlarmName: expect.stringMatching(/TamperAlarm/),
      OldStateValue: 'OK',
      Trigger: { MetricName: 'EventsChangedOrRemoved', Namespace: 'Ledgerline', Threshold: 1 },
    });
    expect(lines).toContainEqual(expect.stringMatching(/^alarm \S*TamperAlarm\S*: OK -> ALARM \(/));

    // A minute later by the evaluator's clock, with no more tampering, the alarm is OK again.
    ahead += 61_000;
    await runtime?.tickAlarms();
    const ok = await waitFor(async () => (await receive()).find((n) => n.NewStateValue === 'OK'), {
      timeoutMs: 10_000,
      what: 'the OK notification',
    });
    expect(ok).toMatchObject({ AlarmName: alarmed.AlarmName, OldStateValue: 'ALARM' });
    expect(lines).toContainEqual(expect.stringMatching(/^alarm \S*TamperAlarm\S*: ALARM -> OK \(/));
  });
});
