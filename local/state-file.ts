// The running local runtime's endpoints in a small JSON file, so operator tools (`ledgerline --target local`)
// find the API, the services and the stack's resources without a URL or ARN pasted by hand.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LocalRuntime } from './runtime.ts';

/** Overrides where the state file is written and read. */
export const STATE_FILE_ENV = 'LEDGERLINE_STATE_FILE';

/** What `npm start` writes while it runs. */
export interface LocalStateFile {
  readonly version: 1;
  /** The process that runs the runtime: the file is stale when it is gone. */
  readonly pid: number;
  readonly startedAt: string;
  readonly stackName: string;
  readonly region: string;
  /** The cloud assembly the runtime runs (its template names the resources). */
  readonly cdkOut: string;
  readonly apiUrl: string | null;
  readonly apiKeys: readonly { readonly id: string; readonly value: string; readonly source: string }[];
  readonly endpoints: {
    readonly dynamodb: string | null;
    readonly sqs: string;
    readonly stepFunctions: string;
    readonly secretsManager: string;
  };
  /** Stack outputs resolved to local values. */
  readonly outputs: Readonly<Record<string, string>>;
  /** `Ref` of every resource by logical id: table names, queue URLs, state machine ARNs... */
  readonly refs: Readonly<Record<string, string>>;
  /** State machine ARNs by logical id. */
  readonly stateMachines: Readonly<Record<string, string>>;
  /** Queue URLs by logical id. */
  readonly queues: Readonly<Record<string, string>>;
}

/** `<projectRoot>/.ledgerline/local-runtime.json`, or `LEDGERLINE_STATE_FILE`. */
export function stateFilePath(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[STATE_FILE_ENV] || join(projectRoot, '.ledgerline', 'local-runtime.json');
}

/** The state of a running runtime, as written to the file. */
export function stateOf(
  runtime: LocalRuntime,
  options: { readonly cdkOut: string; readonly region?: string; readonly pid?: number },
): LocalStateFile {
  const pick = (test: (value: string) => boolean) =>
    Object.fromEntries(Object.entries(runtime.refs).filter(([, value]) => test(value)));
  return {
    version: 1,
    pid: options.pid ?? process.pid,
    startedAt: new Date().toISOString(),
    stackName: runtime.stackName,
    region: options.region ?? 'us-east-1',
    cdkOut: options.cdkOut,
    apiUrl: runtime.apiUrl ?? null,
    apiKeys: runtime.apiKeys.map((k) => ({ id: k.id, value: k.value, source: k.source })),
    endpoints: {
      dynamodb: runtime.endpoints.dynamodb ?? null,
      sqs: runtime.endpoints.sqs,
      stepFunctions: runtime.endpoints.stepFunctions,
      secretsManager: runtime.endpoints.secretsManager,
    },
    outputs: Object.fromEntries(
      Object.entries(runtime.outputs).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    ),
    refs: runtime.refs,
    stateMachines: pick((value) => /^arn:aws:states:[^:]*:[^:]*:stateMachine:/.test(value)),
    queues: pick((value) => value.startsWith(`${runtime.endpoints.sqs.replace(/\/$/, '')}/`)),
  };
}

/** Writes the state file (mode 0600: it holds API keys). */
export function writeStateFile(path: string, state: LocalStateFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state file, or undefined when there is none. */
export function readStateFile(path: string): LocalStateFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as LocalStateFile;
}

/** Removes the state file if this process (or `pid`) wrote it: a second runtime's file stays. */
export function removeStateFile(path: string, pid = process.pid): void {
  try {
    if (readStateFile(path)?.pid === pid) rmSync(path, { force: true });
  } catch {
    // Unreadable: leave it; readers check the pid anyway.
  }
}

/** Whether the process that wrote the file still runs. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
