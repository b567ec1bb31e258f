/**
 * Dead-letter queue operations for `ledgerline dlq`: list the stack's DLQs with their depth, show
 * messages without consuming them, redrive them to their source queue at a bounded rate.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { loadStackAssembly } from '../local/cloud-assembly.ts';
import { LOCAL_ACCOUNT_ID, physicalName } from '../local/naming.ts';
import { UsageError } from './errors.ts';

/** One dead-letter queue of the stack. */
export interface DeadLetterQueueRef {
  /** Short name: the stack output without `DlqUrl`/`QueueUrl` (e.g. `ProcessorEvents`), else the logical id. */
  readonly name: string;
  readonly url: string;
  /**
   * `redrive`: the DLQ of a queue's redrive policy (messages go back to `sourceUrl`);
   * `destination`: a Lambda on-failure destination holding stream batch metadata, not messages to move.
   */
  readonly kind: 'redrive' | 'destination';
  readonly sourceUrl: string | null;
}

type Json = Record<string, unknown>;
const getAttLogicalId = (value: unknown): string | undefined =>
  ((value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'] ?? [])[0];

/** A short name from an output key: `ProcessorEventsDlqUrl` → `ProcessorEvents`. */
function nameFromOutput(key: string): string {
  return key.replace(/(DlqUrl|FailureQueueUrl|QueueUrl)$/, '') || key;
}

/**
 * The DLQs of the stack in a synthesized template, with local queue URLs on `sqsEndpoint` (the
 * local runtime names queues `<stack>-<logicalId>`, as CloudFormation would).
 */
export function localDeadLetterQueues(
  cdkOut: string,
  sqsEndpoint: string,
  stackName?: string,
): DeadLetterQueueRef[] {
  const assembly = loadStackAssembly(cdkOut, stackName);
  const resources = (assembly.template.Resources ?? {}) as Record<string, { Properties?: Json }>;
  return templateDeadLetterQueues(assembly.template, (logicalId) => {
    const explicit = resources[logicalId]?.Properties?.QueueName;
    const name = typeof explicit === 'string' ? explicit : physicalName(assembly.stackName, logicalId, 80);
    return `${sqsEndpoint.replace(/\/$/, '')}/${LOCAL_ACCOUNT_ID}/${name}`;
  });
}

/**
 * The DLQs of a template: each queue a redrive policy names (with its source queue) and each stream
 * on-failure destination; `urlOf` gives a queue's URL by logical id.
 */
export function templateDeadLetterQueues(
  template: {
    readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: Json }>>;
    readonly Outputs?: Readonly<Record<string, { readonly Value?: unknown }>>;
  },
  urlOf: (logicalId: string) => string,
): DeadLetterQueueRef[] {
  const resources = template.Resources ?? {};
  const names = new Map<string, string>();
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    const ref = (output.Value as { Ref?: string } | undefined)?.Ref;
    if (ref && resources[ref]?.Type === 'AWS::SQS::Queue') names.set(ref, nameFromOutput(key));
  }
  const found = new Map<string, DeadLetterQueueRef>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::SQS::Queue') {
      const dlq = getAttLogicalId(
        (resource.Properties?.RedrivePolicy as Json | undefined)?.deadLetterTargetArn,
      );
      if (dlq) {
        found.set(dlq, {
          name: names.get(dlq) ?? dlq,
          url: urlOf(dlq),
          kind: 'redrive',
          sourceUrl: urlOf(logicalId),
        });
      }
    }
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      const destination = getAttLogicalId(
        ((resource.Properties?.DestinationConfig as Json | undefined)?.OnFailure as Json | undefined)
          ?.Destination,
      );
      if (destination && resources[destination]?.Type === 'AWS::SQS::Queue' && !found.has(destination)) {
        found.set(destination, {
          name: names.get(destination) ?? destination,
          url: urlOf(destination),
          kind: 'destination',
          sourceUrl: null,
        });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The DLQs among a deployed stack's outputs (keys ending in `DlqUrl` or `FailureQueueUrl`); the source
 * queue of each comes from SQS (`ListDeadLetterSourceQueues` is implied by `StartMessageMoveTask`).
 */
export function awsDeadLetterQueues(outputs: Readonly<Record<string, string>>): DeadLetterQueueRef[] {
  return Object.entries(outputs)
    .filter(([key]) => /DlqUrl$|FailureQueueUrl$/.test(key))
    .map(([key, url]) => ({
      name: nameFromOutput(key),
      url,
      kind: key.endsWith('DlqUrl') ? ('redrive' as const) : ('destination' as const),
      sourceUrl: null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Finds a DLQ by short name (case-insensitive), logical id or URL. */
export function findDeadLetterQueue(
  queues: readonly DeadLetterQueueRef[],
  wanted: string,
): DeadLetterQueueRef {
  const lower = wanted.toLowerCase();
  const match = queues.find((q) => q.url === wanted || q.name.toLowerCase() === lower);
  if (!match) {
    throw new UsageError(
      `No dead-letter queue '${wanted}'; the stack has: ${queues.map((q) => q.name).join(', ') || 'none'}`,
      { fix: "name one of them (see 'ledgerline dlq list')" },
    );
  }
  return match;
}

async function attributes(client: SQSClient, url: string, names: string[]): Promise<Record<string, string>> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }),
  );
  return Attributes ?? {};
}

/** Visible and in-flight messages of each queue. */
export async function listDepths(
  client: SQSClient,
  queues: readonly DeadLetterQueueRef[],
): Promise<(DeadLetterQueueRef & { visible: number; inFlight: number })[]> {
  return Promise.all(
    queues.map(async (queue) => {
      const a = await attributes(client, queue.url, [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
      return {
        ...queue,
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    }),
  );
}

/** A message as `show` prints it. */
export interface ShownMessage {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentAt: string | null;
  readonly body: unknown;
}

/**
 * Up to `max` messages, read without consuming them: received with a short visibility timeout and
 * made visible again at once. SQS hands out at most 10 per receive and may skip some.
 */
export async function showMessages(
  client: SQSClient,
  queue: DeadLetterQueueRef,
  max = 10,
): Promise<ShownMessage[]> {
  const seen = new Map<string, Message>();
  const handles: Message[] = [];
  try {
    while (seen.size < max) {
      const { Messages } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: 30,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (!Messages || Messages.length === 0) break;
      handles.push(...Messages);
      const before = seen.size;
      for (const m of Messages) if (m.MessageId) seen.set(m.MessageId, m);
      if (seen.size === before) break;
    }
  } finally {
    for (let i = 0; i < handles.length; i += 10) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: handles.slice(i, i + 10).map((m, n) => ({
            Id: String(n),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
  return [...seen.values()].map((m) => {
    let body: unknown = m.Body;
    try {
      body = JSON.parse(m.Body ?? '');
    } catch {
      // Not JSON: shown as text.
    }
    const sent = Number(m.Attributes?.SentTimestamp);
    return {
      messageId: m.MessageId ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
      body,
    };
  });
}

export interface RedriveOptions {
  /** Messages per second. */
  readonly rate: number;
  /**
   * `native`: SQS's own StartMessageMoveTask (AWS); `manual`: receive, send to the source, delete,
   * paced here (the local emulator has no move tasks).
   */
  readonly mode: 'native' | 'manual';
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

export type RedriveReport =
  | { readonly mode: 'native'; readonly taskHandle: string; readonly status: string; readonly moved: number }
  | { readonly mode: 'manual'; readonly moved: number };

/** Moves a DLQ's messages back to its source queue at `rate` per second. */
export async function redrive(
  client: SQSClient,
  queue: DeadLetterQueueRef,
  options: RedriveOptions,
): Promise<RedriveReport> {
  if (queue.kind === 'destination') {
    throw new UsageError(
      `${queue.name} holds stream batch metadata (a Lambda on-failure destination), not messages to move back`,
      {
        fix: 'fix the cause and re-read the stream range (ledgerline projections redrive for the projector)',
      },
    );
  }
  if (!Number.isFinite(options.rate) || options.rate <= 0 || options.rate > 500) {
    throw new UsageError(
      '--rate must be between 1 and 500 messages per second (SQS move tasks allow up to 500)',
    );
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  if (options.mode === 'native') {
    const { QueueArn } = await attributes(client, queue.url, ['QueueArn']);
    if (!QueueArn) throw new Error(`Cannot read the ARN of ${queue.url}`);
    const { TaskHandle } = await client.send(
      new StartMessageMoveTaskCommand({
        SourceArn: QueueArn,
        MaxNumberOfMessagesPerSecond: Math.floor(options.rate),
      }),
    );
    // Poll until the task is done; the DLQ's own redrive policy names where messages go back.
    for (;;) {
      const { Results } = await client.send(
        new ListMessageMoveTasksCommand({ SourceArn: QueueArn, MaxResults: 1 }),
      );
      const task = Results?.[0];
      const status = task?.Status ?? 'UNKNOWN';
      options.log?.(`move task ${status}: ${task?.ApproximateNumberOfMessagesMoved ?? 0} moved`);
      if (status !== 'RUNNING' && status !== 'CANCELLING') {
        return {
          mode: 'native',
          taskHandle: TaskHandle ?? '',
          status,
          moved: Number(task?.ApproximateNumberOfMessagesMoved ?? 0),
        };
      }
      await sleep(2000);
    }
  }
  if (!queue.sourceUrl) throw new Error(`The source queue of ${queue.name} is unknown`);
  const { ApproximateNumberOfMessages } = await attributes(client, queue.url, [
    'ApproximateNumberOfMessages',
  ]);
  // Only what waits now: a message that fails again and comes back is not moved in a loop.
  const budget = Number(ApproximateNumberOfMessages ?? 0);
  let moved = 0;
  const started = Date.now();
  while (moved < budget) {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.max(1, Math.min(10, budget - moved, Math.floor(options.rate))),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!Messages || Messages.length === 0) break;
    for (const message of Messages) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queue.sourceUrl,
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
            ? { MessageAttributes: message.MessageAttributes }
            : {}),
        }),
      );
      await client.send(
        new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
      );
      moved++;
      // Pace to the rate: the n-th message no earlier than n / rate seconds after the start.
      const due = started + (moved * 1000) / options.rate;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    options.log?.(`moved ${moved}/${budget}`);
  }
  return { mode: 'manual', moved };
}
