/**
 * `npm run test:model` (`node scripts/model-check.ts [--quick] [--only <name>]`): model-checks the
 * Promela models in models/ with spin. Each check runs `spin -a` (with the check's -D defines), compiles
 * `pan` with gcc, runs it, and prints one JSON line: states stored and matched, depth, errors, and the
 * verdict (`verified`, `counterexample`, or `incomplete` when the search was cut short). A mutant must end
 * in a counterexample; every other check must verify. Exits 1 when a verdict is not the expected one,
 * 2 when spin or gcc is missing. `--quick` runs the safety checks and the mutants only.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export const MODELS_DIR = resolve(import.meta.dirname, '..', 'models');

/** How pan searches: safety (a safety LTL claim plus assertions), acceptance cycles, non-progress cycles. */
export type Search = 'safety' | 'acceptance' | 'non-progress';

export interface ModelCheck {
  /** `<model>:<property>` or `<model>:mutant:<name>`. */
  readonly name: string;
  readonly model: 'settlement' | 'projector';
  readonly search: Search;
  /** The `ltl` claim to check (none for non-progress). */
  readonly claim?: string;
  readonly defines?: readonly string[];
  readonly expect: 'verified' | 'counterexample';
  /** Part of `--quick` (and of the unit test). */
  readonly quick: boolean;
  readonly why: string;
}

export const CHECKS: readonly ModelCheck[] = [
  {
    name: 'settlement:safe',
    model: 'settlement',
    search: 'safety',
    claim: 'safe',
    expect: 'verified',
    quick: true,
    why: 'money conserved (never paid out unless the card is charged), nothing posted or captured twice, and at the end every payment settled and notified or failed and compensated',
  },
  {
    name: 'settlement:safe:three-faults',
    model: 'settlement',
    search: 'safety',
    claim: 'safe',
    defines: ['FAULTS=3'],
    expect: 'verified',
    quick: false,
    why: 'the same with three single faults instead of two (about 1.4 million states)',
  },
  {
    name: 'settlement:terminal',
    model: 'settlement',
    search: 'acceptance',
    claim: 'terminal',
    expect: 'verified',
    quick: false,
    why: 'every payment eventually terminal: settled and notified, or failed with its compensations complete',
  },
  {
    name: 'settlement:non-progress',
    model: 'settlement',
    search: 'non-progress',
    expect: 'verified',
    quick: false,
    why: 'no cycle without progress (no retry livelock)',
  },
  {
    name: 'settlement:mutant:capture-no-idempotency',
    model: 'settlement',
    search: 'safety',
    claim: 'safe',
    defines: ['MUTANT_CAPTURE_NO_IDEMPOTENCY'],
    expect: 'counterexample',
    quick: true,
    why: 'a capture retried under a fresh processor key charges the card twice',
  },
  {
    name: 'settlement:mutant:refund-before-fence',
    model: 'settlement',
    search: 'safety',
    claim: 'safe',
    defines: ['MUTANT_REFUND_BEFORE_FENCE'],
    expect: 'counterexample',
    quick: true,
    why: 'the code before CompensationStarted: a late PostTransfer settles a payment whose card was refunded',
  },
  {
    name: 'settlement:known-bug:operator-follows-cause',
    model: 'settlement',
    search: 'safety',
    claim: 'safe',
    defines: ['OPERATOR_FOLLOWS_CAUSE'],
    expect: 'counterexample',
    quick: true,
    why: 'reported: a settled payment whose PostTransfer answer was lost ends in CompensationFailed, whose resume (compensate) never notifies the merchant',
  },
  {
    name: 'projector:safe',
    model: 'projector',
    search: 'safety',
    claim: 'safe',
    expect: 'verified',
    quick: true,
    why: 'the read model is always the fold of the event store up to its guard, each event counted once; at the end, of the whole store',
  },
  {
    name: 'projector:caught-up',
    model: 'projector',
    search: 'acceptance',
    claim: 'caughtUp',
    expect: 'verified',
    quick: false,
    why: 'the read model eventually holds every event',
  },
  {
    name: 'projector:non-progress',
    model: 'projector',
    search: 'non-progress',
    expect: 'verified',
    quick: false,
    why: 'no redelivery livelock',
  },
  {
    name: 'projector:mutant:no-guard',
    model: 'projector',
    search: 'safety',
    claim: 'safe',
    defines: ['MUTANT_NO_GUARD'],
    expect: 'counterexample',
    quick: true,
    why: 'a commit that ignores the guard version applies a re-delivered event twice',
  },
];

export interface CheckResult {
  readonly name: string;
  readonly model: string;
  readonly search: Search;
  readonly claim: string | null;
  readonly defines: readonly string[];
  readonly statesStored: number;
  readonly statesMatched: number;
  readonly depth: number;
  readonly errors: number;
  readonly verdict: 'verified' | 'counterexample' | 'incomplete';
  readonly expected: ModelCheck['expect'];
  readonly ok: boolean;
  readonly seconds: number;
  /** The first lines of spin's replay of the counterexample (the failed assertion and final state). */
  readonly counterexample?: string;
}

/** The memory pan may use, in MB: the machine is shared. */
const MEMORY_LIMIT_MB = 2048;
const MAX_DEPTH = 100_000;

function run(command: string, args: readonly string[], cwd: string): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** Whether spin and gcc are on the PATH; the missing one's name otherwise. */
export function missingTool(): string | null {
  for (const tool of ['spin', 'gcc']) {
    if (spawnSync(tool, ['-V'], { encoding: 'utf8' }).error) return tool;
  }
  return null;
}

function numberAfter(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match?.[1] ? Number(match[1]) : 0;
}

/** The numbers and verdict of one pan run, read from its report. */
export function readPanReport(output: string) {
  const statesStored = numberAfter(output, /([\d.e+]+) states, stored/);
  const statesMatched = numberAfter(output, /([\d.e+]+) states, matched/);
  const depth = numberAfter(output, /depth reached (\d+)/);
  const errors = numberAfter(output, /errors: (\d+)/);
  const cut = /Search not completed|max search depth too small|reached -DMEMLIM bound/.test(output);
  const verdict: CheckResult['verdict'] =
    errors > 0 ? 'counterexample' : cut || !/errors: \d+/.test(output) ? 'incomplete' : 'verified';
  return { statesStored, statesMatched, depth, errors, verdict };
}

/** Runs one check in a fresh directory (pan writes its trail next to the model it compiled). */
export function runCheck(check: ModelCheck): CheckResult {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `spin-${check.model}-`));
  try {
    const model = `${check.model}.pml`;
    copyFileSync(join(MODELS_DIR, model), join(dir, model));
    const defines = (check.defines ?? []).map((d) => `-D${d}`);
    const spin = run('spin', [...defines, '-a', model], dir);
    if (spin.status !== 0) throw new Error(`spin -a ${basename(model)} failed:\n${spin.output}`);
    const flags = { safety: ['-DSAFETY'], acceptance: [], 'non-progress': ['-DNP', '-DNOCLAIM'] }[
      check.search
    ];
    const gcc = run(
      'gcc',
      // A mutant's counterexample is found in a few thousand states: compiling fast matters more there.
      [
        check.expect === 'verified' ? '-O2' : '-O0',
        '-w',
        `-DMEMLIM=${MEMORY_LIMIT_MB}`,
        '-DCOLLAPSE',
        ...flags,
      ].concat(['-o', 'pan', 'pan.c']),
      dir,
    );
    if (gcc.status !== 0) throw new Error(`gcc pan.c failed:\n${gcc.output}`);
    const searchFlags = { safety: [], acceptance: ['-a'], 'non-progress': ['-l'] }[check.search];
    const claim = check.claim ? ['-N', check.claim] : [];
    const pan = run('./pan', [...searchFlags, ...claim, `-m${MAX_DEPTH}`], dir);
    const report = readPanReport(pan.output);
    let counterexample: string | undefined;
    if (report.errors > 0) {
      // The trail names the claim it violated; `spin -N` would read a claim from a file instead.
      const replay = run('spin', [...defines, '-t', model], dir);
      counterexample = `${pan.output}\n${replay.output}`
        .split('\n')
        .filter((line) => /assertion violated|text of failed|acceptance cycle|non-progress|= /.test(line))
        .slice(0, 40)
        .join('\n');
    }
    const result: CheckResult = {
      name: check.name,
      model: check.model,
      search: check.search,
      claim: check.claim ?? null,
      defines: check.defines ?? [],
      ...report,
      expected: check.expect,
      ok: report.verdict === check.expect,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    return counterexample === undefined ? result : { ...result, counterexample };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const missing = missingTool();
  if (missing) {
    console.error(`model-check: ${missing} is not installed (Debian: apt-get install -y spin gcc)`);
    return 2;
  }
  const quick = argv.includes('--quick');
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  const checks = CHECKS.filter((c) => (!quick || c.quick) && (only === undefined || c.name.startsWith(only)));
  let failed = 0;
  for (const check of checks) {
    const { counterexample, ...result } = runCheck(check);
    console.log(JSON.stringify(result));
    if (!result.ok) {
      failed++;
      console.error(`${check.name}: expected ${check.expect}, got ${result.verdict} (${check.why})`);
      if (counterexample) console.error(counterexample);
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
