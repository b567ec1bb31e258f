// One way to choose what the CLI operates: `--target local` (the running `npm start`, found through the state
// file it writes) or `--stage <name>` (a deployed stack, read with the `aws` CLI), plus --profile/--region.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Command, Option } from 'commander';
import { loadStackAssembly } from '../local/cloud-assembly.ts';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.ts';
import { isAlive, type LocalStateFile, readStateFile, stateFilePath } from '../local/state-file.ts';
import { OperatorError, UsageError } from './errors.ts';

/** The flags every command takes. */
export interface GlobalOptions {
  readonly target?: string;
  readonly stage?: string;
  readonly stack?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly stateFile?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/** The stack the deploy creates (bin/ledgerline.ts); each stage is its own account or region. */
export const DEFAULT_STACK = 'Ledgerline';

/** The options that choose a target ({@link GlobalOptions}), the same on every operator command. */
export function withTargetOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--target <name>', 'the running local runtime (npm start), found by its state file').choices(
        ['local'],
      ),
    )
    .addOption(
      new Option('--stage <name>', 'a deployed stage (stack outputs from CloudFormation)').conflicts(
        'target',
      ),
    )
    .option('--stack <name>', `the stage's stack name (default: ${DEFAULT_STACK})`)
    .option('--profile <name>', 'AWS profile for --stage')
    .option('--region <region>', 'AWS region')
    .option(
      '--state-file <path>',
      "the local runtime's state file (default: .ledgerline/local-runtime.json, or LEDGERLINE_STATE_FILE)",
    );
}

/** A CloudFormation template, as far as the CLI reads it. */
export interface Template {
  readonly Resources?: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/** SDK client settings for the target: endpoint and credentials locally, profile and region on AWS. */
export interface ClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly profile?: string;
}

/** What the commands operate on. */
export interface OperatorTarget {
  readonly kind: 'local' | 'stage';
  /** For messages: `local runtime (pid 123)`, `stage prod (stack Ledgerline)`. */
  readonly label: string;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** The state file of the local runtime; undefined for a stage. */
  readonly local: LocalStateFile | undefined;
  clientConfig(service: 'dynamodb' | 'sqs' | 'sfn'): ClientConfig;
  /** The stack's template (the synthesized one locally, the deployed one on AWS). */
  template(): Promise<Template>;
  /** `Ref` of each resource by logical id (physical ids on AWS). */
  refs(): Promise<Readonly<Record<string, string>>>;
}

/** The `aws` CLI's JSON answer; errors name the fix. */
export async function awsCli(args: readonly string[], options: GlobalOptions): Promise<unknown> {
  const full = [...args, '--output', 'json'];
  if (options.profile) full.push('--profile', options.profile);
  if (options.region) full.push('--region', options.region);
  try {
    const { stdout } = await promisify(execFile)('aws', full, { timeout: 60_000, maxBuffer: 64 << 20 });
    return JSON.parse(stdout);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new OperatorError('the aws CLI is not installed (needed for --stage)', {
        fix: 'install AWS CLI v2 (https://docs.aws.amazon.com/cli/), or use --target local',
        cause: error,
      });
    }
    throw new OperatorError(`aws ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, {
      fix: 'check --profile/--region (or AWS_PROFILE/AWS_REGION) and that the stack is deployed there (--stack)',
      cause: error,
    });
  }
}

/** The running local runtime, from its state file. */
export function localTarget(options: GlobalOptions, projectRoot: string): OperatorTarget {
  const path = options.stateFile ?? stateFilePath(projectRoot);
  let state: LocalStateFile | undefined;
  try {
    state = readStateFile(path);
  } catch (error) {
    throw new OperatorError(`cannot read the local runtime's state file ${path}`, {
      fix: 'restart npm start (it rewrites the file), or remove the file',
      cause: error,
    });
  }
  if (!state) {
    throw new OperatorError(`no local runtime is running (no state file at ${path})`, {
      fix: 'start it with npm start in this repository, or pass --stage <name> for a deployed stage',
    });
  }
  if (!isAlive(state.pid)) {
    throw new OperatorError(`the local runtime that wrote ${path} (pid ${state.pid}) is not running`, {
      fix: 'start it again with npm start',
    });
  }
  const running = state;
  const endpoints = {
    dynamodb: running.endpoints.dynamodb,
    sqs: running.endpoints.sqs,
    sfn: running.endpoints.stepFunctions,
  };
  return {
    kind: 'local',
    label: `local runtime (pid ${running.pid})`,
    stackName: running.stackName,
    outputs: running.outputs,
    local: running,
    clientConfig(service) {
      const endpoint = endpoints[service];
      if (!endpoint) throw new OperatorError(`the local stack has no ${service} endpoint`);
      return { region: options.region ?? running.region, endpoint, credentials: LOCAL_CREDENTIALS };
    },
    async template() {
      try {
        return loadStackAssembly(running.cdkOut, running.stackName).template as Template;
      } catch (error) {
        throw new OperatorError(`cannot read the template of ${running.stackName} in ${running.cdkOut}`, {
          fix: 'restart npm start (it synthesizes cdk.out)',
          cause: error,
        });
      }
    },
    async refs() {
      return running.refs;
    },
  };
}

/** A deployed stage: its stack's outputs, template and resources through the `aws` CLI. */
export async function stageTarget(
  options: GlobalOptions & { readonly stage: string },
): Promise<OperatorTarget> {
  const stackName = options.stack ?? DEFAULT_STACK;
  const described = (await awsCli(
    ['cloudformation', 'describe-stacks', '--stack-name', stackName],
    options,
  )) as {
    Stacks?: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  };
  const outputs = Object.fromEntries(
    (described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
  );
  const config: ClientConfig = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
  return {
    kind: 'stage',
    label: `stage ${options.stage} (stack ${stackName}${options.region ? `, ${options.region}` : ''})`,
    stackName,
    outputs,
    local: undefined,
    clientConfig: () => config,
    async template() {
      const answer = (await awsCli(
        ['cloudformation', 'get-template', '--stack-name', stackName, '--template-stage', 'Processed'],
        options,
      )) as { TemplateBody?: unknown };
      const body = answer.TemplateBody;
      return (typeof body === 'string' ? JSON.parse(body) : body) as Template;
    },
    async refs() {
      const answer = (await awsCli(
        ['cloudformation', 'list-stack-resources', '--stack-name', stackName],
        options,
      )) as { StackResourceSummaries?: { LogicalResourceId: string; PhysicalResourceId?: string }[] };
      return Object.fromEntries(
        (answer.StackResourceSummaries ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId ?? '']),
      );
    },
  };
}

/** The target the global flags name (`--target local` by default). */
export async function resolveTarget(options: GlobalOptions, projectRoot: string): Promise<OperatorTarget> {
  if (options.stage && options.target) {
    throw new UsageError('--target and --stage name two targets', { fix: 'pass one of them' });
  }
  if (options.stage) return stageTarget({ ...options, stage: options.stage });
  if (options.target && options.target !== 'local') {
    throw new UsageError(`unknown target '${options.target}'`, {
      fix: 'use --target local, or --stage <name> for a deployed stage',
    });
  }
  return localTarget(options, projectRoot);
}

/** An output of the stack by key or key prefix (nested constructs add a hash suffix). */
export function output(target: OperatorTarget, key: string): string {
  const value =
    target.outputs[key] ?? Object.entries(target.outputs).find(([name]) => name.startsWith(key))?.[1];
  if (!value) {
    throw new OperatorError(`${target.label} has no output ${key}`, {
      fix: 'deploy (or synthesize and restart npm start with) the current version of the stack',
    });
  }
  return value;
}
