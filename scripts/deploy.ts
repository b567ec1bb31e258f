// `npm run deploy -- --stage <name> [cdk deploy options…]`: deploys one named stage (there is no default), then
// prints the API URL and the dashboard link from the stack's outputs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STAGE_CONTEXT } from '../lib/stage.ts';

const ROOT = join(import.meta.dirname, '..');
export const STACK_NAME = 'Ledgerline';

/** What the command line asks for: the stage and every other option, passed to `cdk deploy` unchanged. */
export type DeployArgs =
  | { readonly stage: string; readonly cdkArgs: readonly string[] }
  | { readonly error: string };

export function parseDeployArgs(argv: readonly string[]): DeployArgs {
  const cdkArgs: string[] = [];
  let stage: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--stage') stage = argv[++i];
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else if (arg.includes(STAGE_CONTEXT))
      return { error: `Name the stage with --stage, not ${STAGE_CONTEXT}.` };
    else cdkArgs.push(arg);
  }
  if (!stage) return { error: 'Name the stage to deploy: npm run deploy -- --stage <dev|prod|…>' };
  return { stage, cdkArgs };
}

/** The `cdk deploy` arguments for a stage; the outputs go to `outputsFile`. */
export function cdkDeployArgs(stage: string, cdkArgs: readonly string[], outputsFile: string): string[] {
  return [
    'deploy',
    STACK_NAME,
    '--require-approval',
    'broadening',
    '-c',
    `${STAGE_CONTEXT}=${stage}`,
    '--outputs-file',
    outputsFile,
    ...cdkArgs,
  ];
}

/** The lines printed after a deploy: the API URL and the dashboard link, when the stack has them. */
export function deploySummary(stage: string, outputs: Readonly<Record<string, string>>): string[] {
  const line = (label: string, key: string) => `${label.padEnd(10)} ${outputs[key] ?? `(no ${key} output)`}`;
  return [`Stage ${stage} deployed.`, line('API', 'ApiUrl'), line('Dashboard', 'DashboardUrl')];
}

function main(): number {
  const args = parseDeployArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(args.error);
    return 2;
  }
  const outputsFile = join(ROOT, 'cdk.out', `outputs-${args.stage}.json`);
  const cdk = join(ROOT, 'node_modules', '.bin', 'cdk');
  const run = spawnSync(cdk, cdkDeployArgs(args.stage, args.cdkArgs, outputsFile), {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (run.status !== 0) return run.status ?? 1;
  const all = existsSync(outputsFile)
    ? (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>)
    : {};
  for (const text of deploySummary(args.stage, all[STACK_NAME] ?? {})) console.log(text);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main());
