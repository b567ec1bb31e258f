// The local runtime end to end on the fixture app (test/fixtures/local-app): one runtime for the file.
import { existsSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyIdFor, type LocalRuntime, startLocalRuntime } from '../../../local/runtime.ts';
import { FIXTURE_KEYS } from '../../fixtures/local-app/stack.ts';
import { localAppAssembly } from '../../support/local-app.ts';
import { waitFor } from '../../support/wait-for.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ENV_KEY = 'env-key-for-tests-0123456789';

let runtime: LocalRuntime;
let dynamo: DynamoDBClient;
let sqs: SQSClient;
let sfn: SFNClient;
const logs: string[] = [];

/** `Ref` of the fixture resource whose construct id is `id` (logical id = id + 8-hex-digit hash). */
function ref(id: string): string {
  const entry = Object.entries(runtime.refs).find(([logicalId]) =>
    new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId),
  );
  if (!entry) throw new Error(`no resource ${id} in ${Object.keys(runtime.refs).join(', ')}`);
  return entry[1];
}

function call(method: string, path: string, key?: string, body?: unknown): Promise<Response> {
  return fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function attempts(pk: string): Promise<number> {
  const { Item } = await dynamo.send(
    new GetItemCommand({ TableName: ref('AttemptsTable'), Key: { pk: { S: pk } } }),
  );
  return Number(Item?.attempts?.N ?? 0);
}

async function receiveOne(queueUrl: string): Promise<Record<string, unknown> | undefined> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
  );
  const [message] = Messages ?? [];
  if (!message) return undefined;
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  return JSON.parse(message.Body ?? 'null') as Record<string, unknown>;
}

beforeAll(async () => {
  const cdkOut = await localAppAssembly();
  process.env.PARENT_ONLY = 'the test process';
  runtime = await startLocalRuntime({
    cdkOut,
    port: 0,
    apiKeys: [ENV_KEY],
    projectRoot: process.cwd(),
    log: (line) => logs.push(line),
    functionLog: (fn, line) => logs.push(`[${fn}] ${line}`),
  });
  const region = 'us-east-1';
  dynamo = new DynamoDBClient({ endpoint: runtime.endpoints.dynamodb, region, credentials });
  sqs = new SQSClient({ endpoint: runtime.endpoints.sqs, region, credentials, useQueueUrlAsEndpoint: false });
  sfn = new SFNClient({ endpoint: runtime.endpoints.stepFunctions, region, credentials });
});

afterAll(async () => {
  delete process.env.PARENT_ONLY;
  dynamo?.destroy();
  sqs?.destroy();
  sfn?.destroy();
  await runtime?.stop();
});

describe('API Gateway emulation', () => {
  it('answers 403 Forbidden without a key, with an unknown key, and with a key in no usage plan', async () => {
    for (const key of [undefined, 'not-a-key', 'fixture-key-orphan-0123456789']) {
      const response = await call('GET', '/whoami', key);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ message: 'Forbidden' });
    }
  });

  it('answers 403 Missing Authentication Token for an unknown route or method', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/whoami'],
    ] as const) {
      const response = await call(method, path, FIXTURE_KEYS.first);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    }
  });

  it('puts the key and its id into requestContext.identity; each key is its own id', async () => {
    const ids = new Set<string>();
    for (const key of [FIXTURE_KEYS.first, FIXTURE_KEYS.second, ENV_KEY, runtime.devApiKey.value]) {
      const response = await call('GET', '/whoami', key);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { apiKeyId: string; apiKey: string; stage: string };
      expect(body.apiKey).toBe(key);
      expect(body.apiKeyId).toBe(runtime.apiKeys.find((k) => k.value === key)?.id);
      expect(body.stage).toBe('v1');
      ids.add(body.apiKeyId);
    }
    expect(ids.size).toBe(4);
    expect(runtime.apiKeys.find((k) => k.value === ENV_KEY)?.id).toBe(apiKeyIdFor(ENV_KEY));
  });

  it('serves methods without a key requirement and fills path and query parameters', async () => {
    const response = await call('GET', '/public/some%20name?a=1&a=2');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      apiKeyId: null,
      resource: '/public/{name}',
      pathParameters: { name: 'some name' },
      query: { a: '2' },
    });
  });

  it('runs a REQUEST authorizer: 401 without identity, 403 on Deny, 500 on failure, context on Allow', async () => {
    const withTenant = (tenant?: string) =>
      fetch(`${runtime.apiUrl}/private`, {
        headers: { 'x-api-key': FIXTURE_KEYS.first, ...(tenant ? { 'x-tenant': tenant } : {}) },
      });
    expect((await withTenant()).status).toBe(401);
    expect((await withTenant('nobody')).status).toBe(401);
    expect((await withTenant('blocked')).status).toBe(403);
    expect((await withTenant('broken')).status).toBe(500);
    const allowed = await withTenant('tenant-a');
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({
      apiKeyId: runtime.apiKeys.find((k) => k.value === FIXTURE_KEYS.first)?.id,
      authorizer: { tenantId: 'tenant-a', principalId: 'user-tenant-a' },
    });
  });

  it('answers 502 Internal server error when the function times out', async () => {
    const started = Date.now();
    const response = await call('GET', '/slow', FIXTURE_KEYS.first);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('function isolation', () => {
  it('gives each function its own environment from the template and nothing from this process', async () => {
    const whoami = (await (await call('GET', '/whoami', FIXTURE_KEYS.first)).json()) as { env: unknown };
    const items = (await (await call('GET', '/items', FIXTURE_KEYS.first)).json()) as { env: unknown };
    expect(whoami.env).toEqual({
      FIXTURE_NAME: 'whoami',
      WHOAMI_ONLY: 'yes',
      ITEMS_ONLY: null,
      PARENT_ONLY: null,
    });
    expect(items.env).toEqual({
      FIXTURE_NAME: 'items',
      WHOAMI_ONLY: null,
      ITEMS_ONLY: 'yes',
      PARENT_ONLY: null,
    });
  });
});

describe('DynamoDB stream mapping', () => {
  it('filters, retries a poison record MaximumRetryAttempts times, then sends it to the on-failure queue', async () => {
    // Written first on purpose: the shard is ordered, so once the poison record is settled this one was seen.
    await dynamo.send(new PutItemCommand({ TableName: ref('ItemsTable'), Item: { pk: { S: 'other#1' } } }));
    expect((await call('POST', '/items', FIXTURE_KEYS.first, { id: 'good-1' })).status).toBe(201);
    expect((await call('POST', '/items', FIXTURE_KEYS.first, { id: 'poison-1', poison: true })).status).toBe(
      201,
    );

    const failure = await waitFor(() => receiveOne(ref('StreamFailures')), {
      timeoutMs: 20_000,
      what: 'on-failure record',
    });
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      DDBStreamBatchInfo: { batchSize: 1 },
    });
    const info = failure.DDBStreamBatchInfo as {
      streamArn: string;
      startSequenceNumber: string;
      endSequenceNumber: string;
    };
    expect(info.streamArn).toContain(':table/LocalApp-ItemsTable');
    expect(info.startSequenceNumber).toBe(info.endSequenceNumber);
    expect(await attempts('stream#item#poison-1')).toBeGreaterThanOrEqual(3);
    expect(await attempts('stream#item#good-1')).toBeGreaterThanOrEqual(1);
    expect(await attempts('stream#other#1')).toBe(0);
  });
});

describe('SQS mapping', () => {
  it('deletes successes only and lets fauxqs move a poison message to the DLQ after maxReceiveCount', async () => {
    expect((await call('POST', '/work', FIXTURE_KEYS.first, { message: { id: 'w-good' } })).status).toBe(202);
    expect(
      (await call('POST', '/work', FIXTURE_KEYS.first, { message: { id: 'w-poison', poison: true } })).status,
    ).toBe(202);
    const dead = await waitFor(() => receiveOne(ref('WorkDlq')), {
      timeoutMs: 20_000,
      what: 'message in the DLQ',
    });
    expect(dead).toEqual({ id: 'w-poison', poison: true });
    expect(await attempts('work#w-poison')).toBe(2);
    expect(await attempts('work#w-good')).toBe(1);
  });
});

describe('Step Functions', () => {
  it('runs the ASL asset with substitutions: lambda:invoke Payload, direct ARN task, history', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: ref('Machine'),
        input: JSON.stringify({ delaySeconds: 0, value: 3 }),
      }),
    );
    const done = await waitFor(
      async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return execution.status === 'RUNNING' ? undefined : execution;
      },
      { timeoutMs: 15_000, what: 'execution end' },
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ result: 7 });
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = (events ?? []).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskStateEntered');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('routes a function error type to Catch and fails the execution from the Fail state', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: ref('Machine'),
        input: JSON.stringify({ delaySeconds: 0, value: -1 }),
      }),
    );
    const done = await waitFor(
      async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return execution.status === 'RUNNING' ? undefined : execution;
      },
      { timeoutMs: 15_000, what: 'execution end' },
    );
    expect(done).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'negative value' });
  });

  it('deduplicates StartExecution by name: same input while running is the same execution, else ExecutionAlreadyExists', async () => {
    const input = { delaySeconds: 2, value: 1 };
    const first = await call('POST', '/executions', FIXTURE_KEYS.first, { name: 'dedup-1', input });
    const again = await call('POST', '/executions', FIXTURE_KEYS.first, { name: 'dedup-1', input });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    const { executionArn } = (await first.json()) as { executionArn: string };
    expect(((await again.json()) as { executionArn: string }).executionArn).toBe(executionArn);

    const other = await call('POST', '/executions', FIXTURE_KEYS.first, {
      name: 'dedup-1',
      input: { ...input, value: 2 },
    });
    expect(other.status).toBe(409);

    await waitFor(
      async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'SUCCEEDED',
      { timeoutMs: 15_000, what: 'dedup-1 to finish' },
    );
    // A closed execution's name stays taken, whatever the input (Standard workflows).
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: ref('Machine'),
          name: 'dedup-1',
          input: JSON.stringify(input),
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });
});

describe('shutdown', () => {
  it('stops every service, java included', async () => {
    const [javaPid] = runtime.childPids;
    expect(javaPid).toBeTypeOf('number');
    expect(existsSync(`/proc/${javaPid}`)).toBe(true);
    await runtime.stop();
    expect(existsSync(`/proc/${javaPid}`)).toBe(false);
    await expect(fetch(`${runtime.apiUrl}/whoami`)).rejects.toThrow();
  });
});
