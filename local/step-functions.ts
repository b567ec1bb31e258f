import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { forLocalExecution, type TaskBinding } from './asl.ts';
import { AwsJsonError, closeServer, listen, readBody } from './http-server.ts';
import type { InvokeResult, LambdaPool } from './lambda-pool.ts';
import { arns } from './naming.ts';
import { type HistoryEvent, historyEvent } from './step-functions-history.ts';

/** A state machine ready to run: definition with substitutions applied and tasks bound to functions. */
export interface StateMachineSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn?: string;
  readonly definitionText: string;
  readonly tasks: readonly TaskBinding[];
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  status: Status;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryEvent[];
  abort?: () => void;
  readonly done: Promise<void>;
}

/** Error thrown into the state machine so `Retry`/`Catch` see the function's `errorType` as `Error`. */
function taskError(result: Extract<InvokeResult, { ok: false }>): Error {
  const error = new Error(JSON.stringify(result.error));
  error.name = result.error.errorType;
  return error;
}

/** A local Step Functions endpoint (AWS JSON 1.0) that runs executions with aws-local-stepfunctions. */
export class StepFunctionsService {
  readonly #pool: LambdaPool;
  readonly #region: string;
  readonly #machines = new Map<string, { spec: StateMachineSpec; machine: StateMachine; created: number }>();
  readonly #executions = new Map<string, Execution>();
  #server: Server | undefined;

  constructor(pool: LambdaPool, region: string) {
    this.#pool = pool;
    this.#region = region;
  }

  /** Adds a state machine; the definition is validated by the ASL library now, not at first execution. */
  register(spec: StateMachineSpec): void {
    const definition = forLocalExecution(JSON.parse(spec.definitionText) as Record<string, unknown>);
    const machine = new StateMachine(definition as unknown as StateMachineDefinition);
    this.#machines.set(spec.arn, { spec, machine, created: Date.now() / 1000 });
  }

  /** Starts an execution; same name and input while it runs returns it again, otherwise the name is taken. */
  startExecution(request: { stateMachineArn?: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    const entry = this.#machines.get(request.stateMachineArn ?? '');
    if (!entry)
      throw new AwsJsonError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    const name = request.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsJsonError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsJsonError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = arns.execution(this.#region, entry.spec.name, name);
    const existing = this.#executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input && entry.spec.type === 'STANDARD') {
        return { executionArn, startDate: existing.startDate };
      }
      throw new AwsJsonError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.#run(entry.spec, entry.machine, executionArn, name, input, parsed);
    this.#executions.set(executionArn, execution);
    return { executionArn, startDate: execution.startDate };
  }

  #run(
    spec: StateMachineSpec,
    machine: StateMachine,
    executionArn: string,
    name: string,
    input: string,
    parsed: unknown,
  ): Execution {
    const startDate = Date.now() / 1000;
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const task of spec.tasks) {
      handlers[task.stateName] = async (taskInput: unknown) => {
        if (task.kind === 'direct') {
          const result = await this.#pool.invoke(task.functionName as string, taskInput);
          if (!result.ok) throw taskError(result);
          return result.payload;
        }
        const { FunctionName, Payload } = (taskInput ?? {}) as { FunctionName?: string; Payload?: unknown };
        if (typeof FunctionName !== 'string' || !this.#pool.find(FunctionName)) {
          throw Object.assign(new Error(`Function not found: ${String(FunctionName)}`), {
            name: 'Lambda.ResourceNotFoundException',
          });
        }
        const result = await this.#pool.invoke(FunctionName, Payload ?? {});
        if (!result.ok) throw taskError(result);
        return { ExecutedVersion: '$LATEST', Payload: result.payload, StatusCode: 200 };
      };
    }
    const run = machine.run(parsed as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: {
          Id: executionArn,
          Input: parsed as never,
          Name: name,
          RoleArn: spec.roleArn,
          StartTime: new Date(startDate * 1000).toISOString(),
        },
        StateMachine: { Id: spec.arn, Name: spec.name },
      },
    });
    const history: HistoryEvent[] = [];
    const execution: Execution = {
      executionArn,
      stateMachineArn: spec.arn,
      name,
      input,
      startDate,
      status: 'RUNNING',
      history,
      abort: run.abort,
      done: Promise.resolve(),
    };
    const recordEvents = (async () => {
      for await (const log of run.eventLogs) {
        const mapped = historyEvent(log);
        if (!mapped) continue;
        const id = history.length + 1;
        history.push({
          timestamp: log.timestamp / 1000,
          type: mapped.type,
          id,
          previousEventId: id - 1,
          ...mapped.details,
        });
        if (log.type === 'ExecutionFailed') {
          execution.error = log.Error;
          execution.cause = String(log.Cause ?? '');
        }
      }
    })();
    const settle = run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      },
      (error: unknown) => {
        const cause = (error as { cause?: Error }).cause;
        const name = (error as Error).name;
        execution.status =
          name === 'ExecutionAbortedError'
            ? 'ABORTED'
            : name === 'ExecutionTimeoutError'
              ? 'TIMED_OUT'
              : 'FAILED';
        execution.error ??= cause?.name ?? name;
        execution.cause ??= cause?.message ?? (error as Error).message;
      },
    );
    Object.assign(execution, {
      done: Promise.all([settle, recordEvents]).then(() => {
        execution.stopDate = Date.now() / 1000;
        execution.abort = undefined;
      }),
    });
    return execution;
  }

  #execution(arn: string | undefined): Execution {
    const execution = this.#executions.get(arn ?? '');
    if (!execution) throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /** Handles one AWS JSON 1.0 operation (`X-Amz-Target: AWSStepFunctions.<operation>`). */
  async handle(operation: string, body: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(body as { stateMachineArn?: string; name?: string; input?: string });
      case 'DescribeExecution': {
        const e = this.#execution(body.executionArn as string);
        return {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          input: e.input,
          ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
          ...(e.output !== undefined ? { output: e.output } : {}),
          ...(e.status !== 'RUNNING' && e.status !== 'SUCCEEDED' ? { error: e.error, cause: e.cause } : {}),
        };
      }
      case 'GetExecutionHistory': {
        const e = this.#execution(body.executionArn as string);
        const events = body.reverseOrder ? [...e.history].reverse() : [...e.history];
        const start = Number(body.nextToken ?? 0);
        const max = Number(body.maxResults ?? 1000) || 1000;
        const page = events.slice(start, start + max);
        return { events: page, ...(start + max < events.length ? { nextToken: String(start + max) } : {}) };
      }
      case 'ListExecutions': {
        const list = [...this.#executions.values()].filter(
          (e) =>
            e.stateMachineArn === body.stateMachineArn &&
            (!body.statusFilter || e.status === body.statusFilter),
        );
        return {
          executions: list.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
            ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
          })),
        };
      }
      case 'StopExecution': {
        const e = this.#execution(body.executionArn as string);
        if (e.status === 'RUNNING') {
          e.error = body.error as string | undefined;
          e.cause = body.cause as string | undefined;
          e.abort?.();
          await e.done;
        }
        return { stopDate: e.stopDate ?? Date.now() / 1000 };
      }
      case 'DescribeStateMachine': {
        const entry = this.#machines.get(body.stateMachineArn as string);
        if (!entry)
          throw new AwsJsonError(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
          );
        return {
          stateMachineArn: entry.spec.arn,
          name: entry.spec.name,
          status: 'ACTIVE',
          definition: entry.spec.definitionText,
          roleArn: entry.spec.roleArn ?? '',
          type: entry.spec.type,
          creationDate: entry.created,
        };
      }
      case 'ListStateMachines':
        return {
          stateMachines: [...this.#machines.values()].map(({ spec, created }) => ({
            stateMachineArn: spec.arn,
            name: spec.name,
            type: spec.type,
            creationDate: created,
          })),
        };
      default:
        throw new AwsJsonError(
          'UnknownOperationException',
          `Operation ${operation} is not supported by the local runtime`,
        );
    }
  }

  /** Serves the JSON 1.0 protocol on 127.0.0.1:`port` (0 = free port); returns the endpoint URL. */
  listen(port: number): Promise<string> {
    const server = createServer((request: IncomingMessage, response) => {
      void readBody(request).then((payload) => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('AWSStepFunctions.')
          ? target.slice('AWSStepFunctions.'.length)
          : target;
        const reply = (status: number, payload: unknown, errorType?: string) => {
          response.writeHead(status, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': randomUUID(),
            ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
          });
          response.end(JSON.stringify(payload));
        };
        let body: Record<string, unknown>;
        try {
          body = payload.length > 0 ? (JSON.parse(payload.toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          reply(
            400,
            { __type: 'SerializationException', message: 'Body is not JSON' },
            'SerializationException',
          );
          return;
        }
        this.handle(operation, body).then(
          (result) => reply(200, result),
          (error: unknown) => {
            if (error instanceof AwsJsonError)
              reply(400, { __type: error.type, message: error.message }, error.type);
            else reply(500, { __type: 'InternalFailure', message: String(error) }, 'InternalFailure');
          },
        );
      });
    });
    this.#server = server;
    return listen(server, port, '127.0.0.1').then((bound) => `http://127.0.0.1:${bound}`);
  }

  /** Executions still running. */
  running(): number {
    return [...this.#executions.values()].filter((e) => e.status === 'RUNNING').length;
  }

  /** Aborts running executions and closes the endpoint. */
  async stop(): Promise<void> {
    for (const execution of this.#executions.values()) execution.abort?.();
    await Promise.allSettled([...this.#executions.values()].map((e) => e.done));
    const server = this.#server;
    if (server) await closeServer(server);
  }
}
