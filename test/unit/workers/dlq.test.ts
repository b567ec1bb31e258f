// The DLQ CLI's operations against fauxqs, and its discovery of DLQs in a synthesized template.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsDeadLetterQueues,
  type DeadLetterQueueRef,
  findDeadLetterQueue,
  listDepths,
  localDeadLetterQueues,
  redrive,
  showMessages,
} from '../../../cli/dlq-operations.ts';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';
import { localAppAssembly } from '../../support/local-app.ts';

let sqs: SqsEmulator;
let client: SQSClient;
let dlq: DeadLetterQueueRef;

const depth = async (url: string) => {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
};

beforeAll(async () => {
  sqs = await startSqsEmulator({ region: 'us-east-1' });
  client = new SQSClient({
    endpoint: sqs.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  await client.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
  await client.send(new CreateQueueCommand({ QueueName: 'work' }));
  dlq = { name: 'Work', url: sqs.queueUrl('work-dlq'), kind: 'redrive', sourceUrl: sqs.queueUrl('work') };
  for (let i = 0; i < 5; i++) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: dlq.url,
        MessageBody: JSON.stringify({ n: i }),
        MessageAttributes: { notificationId: { DataType: 'String', StringValue: `n-${i}` } },
      }),
    );
  }
});

afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});

describe('dlq operations', () => {
  it('lists depths', async () => {
    expect(await listDepths(client, [dlq])).toMatchObject([{ name: 'Work', visible: 5, inFlight: 0 }]);
  });

  it('shows messages without consuming them', async () => {
    const shown = await showMessages(client, dlq, 3);
    expect(shown).toHaveLength(3);
    expect(shown[0]?.body).toEqual({ n: expect.any(Number) });
    expect(await depth(dlq.url)).toBe(5);
  });

  it('redrives every waiting message to the source queue at the given rate, keeping attributes', async () => {
    const waits: number[] = [];
    const report = await redrive(client, dlq, {
      rate: 2,
      mode: 'manual',
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(report).toEqual({ mode: 'manual', moved: 5 });
    expect(await depth(dlq.url)).toBe(0);
    expect(await depth(dlq.sourceUrl ?? '')).toBe(5);
    // Five messages at two per second: paced over about 2.5 s.
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(1500);
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.sourceUrl ?? '',
        MessageAttributeNames: ['All'],
        MaxNumberOfMessages: 1,
      }),
    );
    expect(Messages?.[0]?.MessageAttributes?.notificationId?.StringValue).toMatch(/^n-\d$/);
  });

  it('refuses to redrive a stream failure destination (metadata, not messages)', async () => {
    await expect(
      redrive(
        client,
        { name: 'Relay', url: dlq.url, kind: 'destination', sourceUrl: null },
        { rate: 1, mode: 'manual' },
      ),
    ).rejects.toThrow(/stream batch metadata/);
  });
});

describe('dlq discovery', () => {
  it('finds redrive DLQs (with their source) and stream failure destinations in a template', async () => {
    const queues = localDeadLetterQueues(await localAppAssembly(), 'http://127.0.0.1:9999');
    expect(queues).toEqual(
      expect.arrayContaining([
        {
          name: expect.stringMatching(/^WorkDlq/),
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9999\/000000000000\/LocalApp-WorkDlq/),
          kind: 'redrive',
          sourceUrl: expect.stringMatching(/\/LocalApp-Work[0-9A-F]{8}$/),
        },
        expect.objectContaining({
          name: expect.stringMatching(/^StreamFailures/),
          kind: 'destination',
          sourceUrl: null,
        }),
      ]),
    );
  });

  it('names DLQs after the stack outputs on AWS and finds them by name', () => {
    const queues = awsDeadLetterQueues({
      ApiUrl: 'https://x',
      ProcessorEventsDlqUrl: 'https://sqs/1/a',
      RelayFailureQueueUrl: 'https://sqs/1/b',
    });
    expect(queues.map((q) => [q.name, q.kind])).toEqual([
      ['ProcessorEvents', 'redrive'],
      ['Relay', 'destination'],
    ]);
    expect(findDeadLetterQueue(queues, 'processorevents').url).toBe('https://sqs/1/a');
    expect(() => findDeadLetterQueue(queues, 'nope')).toThrow(/ProcessorEvents, Relay/);
  });
});
