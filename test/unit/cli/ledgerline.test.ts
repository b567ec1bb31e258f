// The `ledgerline` CLI as an operator meets it: run as a child process through the pinned Node.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeStateFile } from '../../../local/state-file.ts';

const ENTRY = join(import.meta.dirname, '..', '..', '..', 'cli', 'ledgerline.ts');
const scratch = mkdtempSync(join(tmpdir(), 'ledgerline-cli-'));
const MISSING_STATE = join(scratch, 'missing.json');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function ledgerline(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ENTRY, ...args],
      {
        env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', LEDGERLINE_STATE_FILE: MISSING_STATE, ...env },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const COMMANDS = [
  [],
  ['dlq'],
  ['dlq', 'list'],
  ['dlq', 'show'],
  ['dlq', 'redrive'],
  ['projections'],
  ['projections', 'rebuild'],
  ['projections', 'redrive'],
  ['projections', 'status'],
  ['saga'],
  ['saga', 'resume'],
  ['saga', 'retry-compensation'],
  ['saga', 'show'],
  ['doctor'],
];

describe('ledgerline --help', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(root)', c]))(
    'prints the usage of %s and exits 0',
    async (_name, command) => {
      const run = await ledgerline([...(command as string[]), '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(`^Usage: ledgerline ${(command as string[]).join(' ')}`.trimEnd()),
      );
      expect(run.stdout).toContain('--target <name>');
      expect(run.stderr).toBe('');
    },
  );

  it('lists every command group at the top', async () => {
    const run = await ledgerline(['--help']);
    for (const group of ['dlq', 'projections', 'saga', 'doctor']) expect(run.stdout).toContain(`  ${group} `);
    expect(run.stdout).not.toMatch(/tenants|audit/);
  });
});

describe('bad input', () => {
  it.each([
    [['frob'], "error: unknown command 'frob'"],
    [['dlq', 'frob'], "error: unknown command 'frob'"],
    [['dlq', 'list', '--frob'], "error: unknown option '--frob'"],
    [['saga', 'show'], "error: missing required argument 'paymentId'"],
    [['projections', 'rebuild', 'no-such-model'], "error: command-argument value 'no-such-model' is invalid"],
    [['dlq', 'redrive', 'X', '--rate', '0'], "error: option '--rate <n>' argument '0' is invalid"],
    [['--target', 'aws', 'dlq', 'list'], "error: option '--target <name>' argument 'aws' is invalid"],
    [['--target', 'local', '--stage', 'prod', 'dlq', 'list'], 'error: option'],
  ])('%j: a one-line error, the usage, exit code 2', async (args, message) => {
    const run = await ledgerline(args);
    expect(run.code).toBe(2);
    const [first, second] = run.stderr.split('\n');
    expect(first).toContain(message);
    expect(second).toMatch(/^Usage: ledgerline/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a group without a subcommand prints its help on stderr and exits 2', async () => {
    const run = await ledgerline(['saga']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Usage: ledgerline saga/);
  });
});

describe('failures', () => {
  it('exit 1 with the message and the fix, and no stack trace without --debug', async () => {
    const run = await ledgerline(['dlq', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: no local runtime is running (no state file at ${MISSING_STATE})`);
    expect(run.stderr).toContain('fix: start it with npm start');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('--debug adds the stack trace', async () => {
    const run = await ledgerline(['dlq', 'list', '--debug']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/OperatorError: no local runtime is running[\s\S]*\n\s+at .*target\.ts/);
  });

  it('a state file whose runtime is gone names the fix', async () => {
    const path = join(scratch, 'stale.json');
    writeStateFile(path, {
      version: 1,
      pid: 2 ** 22 + 1,
      startedAt: new Date().toISOString(),
      stackName: 'Ledgerline',
      region: 'us-east-1',
      cdkOut: scratch,
      apiUrl: 'http://127.0.0.1:1',
      apiKeys: [],
      endpoints: {
        dynamodb: null,
        sqs: 'http://127.0.0.1:1',
        stepFunctions: 'http://127.0.0.1:1',
        secretsManager: 'http://127.0.0.1:1',
      },
      outputs: {},
      refs: {},
      stateMachines: {},
      queues: {},
    });
    const run = await ledgerline(['saga', 'show', 'pay_1', '--state-file', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the local runtime that wrote ${path} (pid ${2 ** 22 + 1}) is not running`);
    expect(run.stderr).toContain('fix: start it again with npm start');
  });

  it('doctor says what to fix, as JSON with --json', async () => {
    const run = await ledgerline(['doctor', '--json']);
    expect(run.code).toBe(1);
    const checks = JSON.parse(run.stdout) as { name: string; status: string; fix?: string }[];
    expect(checks.find((c) => c.name === 'node')).toMatchObject({ status: 'ok' });
    expect(checks.find((c) => c.name === 'target')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('npm start'),
    });
  });
});

describe('colours', () => {
  // `script` gives the CLI a terminal, the only place where colours are allowed.
  const inTerminal = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve) => {
      execFile(
        'script',
        ['-qec', `'${process.execPath}' '${ENTRY}' dlq list`, '/dev/null'],
        { env: { ...process.env, FORCE_COLOR: '', LEDGERLINE_STATE_FILE: MISSING_STATE, ...env } },
        (_error, stdout) => resolve(stdout),
      );
    });

  it('colours the error on a terminal', async () => {
    expect(await inTerminal({ NO_COLOR: '' })).toContain('\u001b[31merror:');
  });

  it('never with NO_COLOR', async () => {
    const text = await inTerminal({ NO_COLOR: '1' });
    expect(text).toContain('error: no local runtime');
    expect(text).not.toContain('\u001b[');
  });

  it('never when the output is not a terminal', async () => {
    const run = await ledgerline(['dlq', 'list']);
    expect(run.stderr).not.toContain('\u001b[');
  });
});

describe('--stage', () => {
  // A stand-in `aws` CLI on PATH: it records its arguments and answers describe-stacks.
  const bin = join(scratch, 'bin');
  const calls = join(scratch, 'aws-calls.log');
  const fakeAws = (answer: string) => {
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'aws'), `#!/bin/sh\necho "$@" >> '${calls}'\n${answer}\n`);
    chmodSync(join(bin, 'aws'), 0o755);
  };
  const withAws = (args: string[]) => ledgerline(args, { PATH: `${bin}:${process.env.PATH}` });

  it('reads the stack outputs with the aws CLI, passing --profile and --region', async () => {
    fakeAws(
      `echo '{"Stacks":[{"Outputs":[{"OutputKey":"ApiUrl","OutputValue":"https://abc123.execute-api.eu-west-1.amazonaws.com/prod/"}]}]}'`,
    );
    const run = await withAws([
      '--stage',
      'prod',
      '--profile',
      'ops',
      '--region',
      'eu-west-1',
      'doctor',
      '--json',
    ]);
    const checks = JSON.parse(run.stdout) as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'target')).toMatchObject({
      status: 'ok',
      detail: 'stage prod (stack Ledgerline, eu-west-1)',
    });
    expect(checks.find((c) => c.name === 'API')?.detail).toContain(
      'abc123.execute-api.eu-west-1.amazonaws.com',
    );
    expect(readFileSync(calls, 'utf8')).toContain(
      'cloudformation describe-stacks --stack-name Ledgerline --output json --profile ops --region eu-west-1',
    );
  });

  it('a failing aws CLI is exit 1 with its message and the fix', async () => {
    fakeAws("echo 'An error occurred (ValidationError): Stack with id Nope does not exist' >&2; exit 254");
    const run = await withAws(['--stage', 'prod', '--stack', 'Nope', 'dlq', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: aws cloudformation describe-stacks failed: An error occurred (ValidationError)',
    );
    expect(run.stderr).toContain('fix: check --profile/--region');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
