import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { checkpointStore } from './checkpoints.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { TemplateError } from './errors.ts';
import { type EventSourceMapping, readEventSourceMapping } from './event-source-mapping.ts';
import { stableId } from './naming.ts';
import type { World } from './provisioners/provisioner.ts';
import type { LocalServices } from './services.ts';
import { startSqsPoller } from './sqs-poller.ts';
import { startStreamPoller } from './stream-poller.ts';

type Stoppable = { stop(): Promise<void> };

/**
 * Starts a poller for every enabled event source mapping: a DynamoDB stream or an SQS queue of the stack
 * into its function. Every mapping is checked before any poller starts.
 */
export function startPollers(input: {
  world: World;
  services: LocalServices;
  region: string;
  persist: string | undefined;
  log: (line: string) => void;
}): Stoppable[] {
  const { world, region, log } = input;
  const { pool, sqs, dynamo, chaos } = input.services;
  const checkpoints = checkpointStore(
    input.persist ? join(input.persist, 'stream-checkpoints.json') : undefined,
  );
  const sqsClient = new SQSClient({
    endpoint: sqs.endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const sendToQueue = async (queueArn: string, body: string) => {
    const queue = world.queues.get(queueArn);
    if (!queue) throw new Error(`on-failure destination ${queueArn} is not a queue of this stack`);
    await sqsClient.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
  };
  const pollers: Stoppable[] = [{ stop: async () => sqsClient.destroy() }];
  const specs: { mapping: EventSourceMapping; start: () => Stoppable }[] = [];
  for (const { logicalId, type, properties, functionName } of world.mappings) {
    const fail = (message: string): never => {
      throw new TemplateError(logicalId, type, message);
    };
    const fn = pool.find(functionName) ?? fail(`function ${functionName} is not in this stack`);
    const uuid = stableId(logicalId, 36);
    const source = String(properties.EventSourceArn);
    const queue = world.queues.get(source);
    if (world.streams.has(source) && dynamo) {
      const mapping = readEventSourceMapping(logicalId, uuid, properties, 'stream', fn.name);
      if (Number(properties.ParallelizationFactor ?? 1) > 1) {
        log(
          `note: ${logicalId}: ParallelizationFactor ${properties.ParallelizationFactor} runs as 1 locally (one batch per shard)`,
        );
      }
      if (mapping.onFailureArn && !world.queues.has(mapping.onFailureArn)) {
        fail(`on-failure destination ${mapping.onFailureArn} is not a queue of this stack`);
      }
      const { endpoint } = dynamo;
      specs.push({
        mapping,
        start: () =>
          startStreamPoller({
            mapping,
            streamArn: source,
            endpoint,
            region,
            pool,
            functionArn: fn.arn,
            checkpoints,
            sendToQueue,
            log,
            chaos,
          }),
      });
    } else if (queue) {
      const mapping = readEventSourceMapping(logicalId, uuid, properties, 'sqs', fn.name);
      if (queue.visibilityTimeout < fn.timeoutSeconds) {
        fail(
          `queue visibility timeout ${queue.visibilityTimeout}s is less than the function timeout ${fn.timeoutSeconds}s (AWS refuses this mapping)`,
        );
      }
      specs.push({
        mapping,
        start: () =>
          startSqsPoller({
            mapping,
            queueUrl: queue.url,
            queueArn: source,
            endpoint: sqs.endpoint,
            region,
            pool,
            log,
            chaos,
          }),
      });
    } else {
      fail(`event source ${source} is not a table stream or queue of this stack`);
    }
  }
  for (const { mapping, start } of specs) {
    if (!mapping.enabled) {
      log(`${mapping.logicalId} is disabled (Enabled: false)`);
      continue;
    }
    pollers.push(start());
  }
  return pollers;
}
