// `ledgerline doctor`: checks what the CLI and the local runtime need, and the target, and says what to fix.
import { execFile } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { promisify } from 'node:util';
import type { CommandContext, Register } from './context.ts';
import { describeError } from './errors.ts';
import { type GlobalOptions, resolveTarget } from './target.ts';

/** One check: `fail` stops the CLI or the runtime from working, `warn` only some of it. */
export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  readonly fix?: string;
}

const run = promisify(execFile);

function nodeCheck(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return major === 24
    ? { name: 'node', status: 'ok', detail: `v${process.versions.node}` }
    : {
        name: 'node',
        status: 'fail',
        detail: `v${process.versions.node}; the project pins Node 24 (the node devDependency)`,
        fix: 'run through npm so the pinned Node is first on PATH: npx ledgerline … (after npm ci)',
      };
}

async function javaCheck(): Promise<Check> {
  const fix = 'apt-get install -y openjdk-17-jre-headless (DynamoDB Local needs Java 17+)';
  try {
    const { stderr, stdout } = await run('java', ['-version'], { timeout: 15_000 });
    const text = `${stderr}${stdout}`;
    const version = /version "(\d+)(?:\.(\d+))?/.exec(text);
    const major = Number(version?.[1] === '1' ? version?.[2] : version?.[1]);
    if (!Number.isFinite(major)) return { name: 'java', status: 'warn', detail: 'version unknown', fix };
    return major >= 17
      ? { name: 'java', status: 'ok', detail: `${major} (for DynamoDB Local)` }
      : { name: 'java', status: 'fail', detail: `${major}; DynamoDB Local needs 17+`, fix };
  } catch {
    return { name: 'java', status: 'fail', detail: 'not found on PATH (npm start needs it)', fix };
  }
}

async function awsCliCheck(required: boolean): Promise<Check> {
  try {
    const { stdout, stderr } = await run('aws', ['--version'], { timeout: 15_000 });
    return { name: 'aws CLI', status: 'ok', detail: `${stdout}${stderr}`.trim().split(' ')[0] ?? 'found' };
  } catch {
    return {
      name: 'aws CLI',
      status: required ? 'fail' : 'warn',
      detail: 'not found on PATH (needed for --stage)',
      fix: 'install AWS CLI v2 (https://docs.aws.amazon.com/cli/)',
    };
  }
}

/** Whether something listens on the URL's host and port. */
function reachable(url: string, timeoutMs = 3000): Promise<string | null> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({
      host: hostname,
      port: Number(port || (protocol === 'https:' ? 443 : 80)),
      timeout: timeoutMs,
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Whether `port` is free on 127.0.0.1 (npm start's API port). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function targetChecks(options: GlobalOptions, projectRoot: string): Promise<Check[]> {
  let target: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    target = await resolveTarget(options, projectRoot);
  } catch (error) {
    const [detail = '', fix] = describeError(error).split('\n  fix: ');
    const checks: Check[] = [{ name: 'target', status: 'fail', detail, ...(fix ? { fix } : {}) }];
    if (!options.stage && !(await portFree(3000))) {
      checks.push({
        name: 'port 3000',
        status: 'warn',
        detail: 'in use by another process: npm start would not get its default API port',
        fix: 'stop that process, or npm start -- --port <N>',
      });
    }
    return checks;
  }
  const checks: Check[] = [{ name: 'target', status: 'ok', detail: target.label }];
  const endpoints: [string, string | null | undefined][] = target.local
    ? [
        ['API', target.local.apiUrl],
        ['DynamoDB Local', target.local.endpoints.dynamodb],
        ['SQS', target.local.endpoints.sqs],
        ['Step Functions', target.local.endpoints.stepFunctions],
        ['Secrets Manager', target.local.endpoints.secretsManager],
      ]
    : [['API', Object.values(target.outputs).find((v) => /^https:\/\/[^/]+\.execute-api\./.test(v))]];
  for (const [name, url] of endpoints) {
    if (!url) continue;
    const problem = await reachable(url);
    checks.push(
      problem === null
        ? { name, status: 'ok', detail: `${url} reachable` }
        : {
            name,
            status: 'fail',
            detail: `${url}: ${problem}`,
            fix: target.local
              ? 'the runtime is not answering on its ports: restart npm start'
              : 'check the network path to the API (VPN, proxy)',
          },
    );
  }
  return checks;
}

export async function diagnose(context: CommandContext): Promise<Check[]> {
  return [
    nodeCheck(),
    await javaCheck(),
    await awsCliCheck(Boolean(context.options.stage)),
    ...(await targetChecks(context.options, context.io.projectRoot)),
  ];
}

export const registerDoctor: Register = (parent, runAction) => {
  parent
    .command('doctor')
    .description('check Node, Java, the aws CLI, the target and its ports; say what to fix')
    .action(
      runAction(async (context) => {
        const checks = await diagnose(context);
        const { out } = context;
        const mark = {
          ok: out.color('green', 'ok  '),
          warn: out.color('yellow', 'warn'),
          fail: out.color('red', 'FAIL'),
        };
        out.result(checks, () =>
          checks
            .map(
              (c) =>
                `${mark[c.status]}  ${c.name.padEnd(16)} ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`,
            )
            .join('\n'),
        );
        return checks.some((c) => c.status === 'fail') ? 1 : 0;
      }),
    );
};
