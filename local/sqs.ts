import { mkdirSync } from 'node:fs';
import { Server } from 'node:net';
import { startFauxqs } from 'fauxqs';
import { TemplateError } from './errors.ts';
import { LOCAL_ACCOUNT_ID } from './naming.ts';

/** An object that was created in a bucket (a put, a presigned PUT, or a completed multipart upload). */
export interface ObjectCreated {
  readonly bucket: string;
  readonly key: string;
}

/** A running SQS emulator (fauxqs, in this process); it serves S3 on the same endpoint, path-style. */
export interface SqsEmulator {
  readonly endpoint: string;
  /** Queue URL on the emulator's loopback endpoint (fauxqs' own URLs name a host that does not resolve). */
  queueUrl(name: string): string;
  createQueue(spec: QueueSpec): { url: string; arn: string; name: string };
  /** Creates the bucket unless it exists (a persisted one keeps its objects). */
  createBucket(name: string): void;
  /** Calls `listener` for every object created from now on; returns the function that stops it. */
  onObjectCreated(listener: (created: ObjectCreated) => void): () => void;
  stop(): Promise<void>;
}

/** A queue as the template describes it, properties resolved. */
export interface QueueSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

const ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

/** Queue attributes as SQS takes them: strings, policies as JSON text. */
export function queueAttributes(spec: QueueSpec): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of ATTRIBUTES) {
    const value = spec.properties[name];
    if (value !== undefined) attributes[name] = String(value);
  }
  const redrive = spec.properties.RedrivePolicy;
  if (redrive !== undefined) {
    const policy = typeof redrive === 'string' ? (JSON.parse(redrive) as Record<string, unknown>) : redrive;
    const { deadLetterTargetArn, maxReceiveCount } = policy as {
      deadLetterTargetArn?: string;
      maxReceiveCount?: unknown;
    };
    if (!deadLetterTargetArn || maxReceiveCount === undefined) {
      throw new TemplateError(
        spec.logicalId,
        'AWS::SQS::Queue',
        'RedrivePolicy needs deadLetterTargetArn and maxReceiveCount',
      );
    }
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn,
      maxReceiveCount: String(maxReceiveCount),
    });
  }
  return attributes;
}

/**
 * Runs `start` with every server that asks for all interfaces (`host: '0.0.0.0'`) listening on
 * 127.0.0.1 instead: fauxqs 2.4 listens on 0.0.0.0 whatever its `host` option says.
 */
async function listeningOnLoopback<T>(start: () => Promise<T>): Promise<T> {
  const original = Server.prototype.listen;
  function loopbackListen(this: Server, ...args: unknown[]): Server {
    const [options] = args;
    if (typeof options === 'object' && options !== null && 'host' in options && options.host === '0.0.0.0') {
      args[0] = { ...options, host: '127.0.0.1' };
    }
    return Reflect.apply(original, this, args);
  }
  Object.defineProperty(Server.prototype, 'listen', {
    value: loopbackListen,
    configurable: true,
    writable: true,
  });
  try {
    return await start();
  } finally {
    Object.defineProperty(Server.prototype, 'listen', {
      value: original,
      configurable: true,
      writable: true,
    });
  }
}

/** Starts fauxqs listening on 127.0.0.1 only (`port` 0 = free port); `dataDir` keeps queues and messages between runs. */
export async function startSqsEmulator(options: {
  port?: number;
  region: string;
  dataDir?: string;
}): Promise<SqsEmulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = await listeningOnLoopback(() =>
    startFauxqs({
      port: options.port ?? 0,
      logger: false,
      defaultRegion: options.region,
      // The spy is how S3 notifications are seen (fauxqs has none); a tiny buffer: a listener sees each event.
      messageSpies: { bufferSize: 1 },
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    }),
  );
  const endpoint = `http://127.0.0.1:${server.port}`;
  const queueUrl = (name: string) => `${endpoint}/${LOCAL_ACCOUNT_ID}/${name}`;
  const listeners = new Set<(created: ObjectCreated) => void>();
  // A waiter whose filter never matches sees every event the emulator records, and stays registered;
  // `stop` clears the spy, which rejects it.
  server.spy
    .waitForMessage((message) => {
      if (message.service === 's3' && message.status === 'uploaded') {
        const created = { bucket: message.bucket, key: message.key };
        // Not inside the emulator's own call: the upload completes whatever a listener does.
        for (const listener of listeners) queueMicrotask(() => listener(created));
      }
      return false;
    })
    .catch(() => undefined);
  return {
    endpoint,
    queueUrl,
    createQueue(spec) {
      const created = server.createQueue(spec.name, {
        region: options.region,
        attributes: queueAttributes(spec),
      });
      return { url: queueUrl(spec.name), arn: created.queueArn, name: created.queueName };
    },
    createBucket(name) {
      server.createBucket(name);
    },
    onObjectCreated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      listeners.clear();
      server.spy.clear();
      await server.stop();
    },
  };
}
