/**
 * `npm run test:chaos`: the long model-based run under faults. Seeds, operations and chaos rates from
 * arguments or the environment; writes a JSON report and exits non-zero on any violation.
 *
 *   npm run test:chaos -- [--seeds 1-10 | --seeds 3,7] [--operations 5000] [--chaos '<rates>' | --chaos off]
 *                         [--report bench/results/chaos.json] [--serial] [--replay-check]
 *   env: CHAOS_SEEDS, CHAOS_OPERATIONS (in all), CHAOS_RATES, CHAOS_REPORT, CHAOS_SERIAL=1
 *
 * `--serial` runs each seed so that its fault log replays exactly (see `SeedOptions.serial`);
 * `--replay-check` runs each seed twice that way and fails unless both fault logs are identical.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPLAY_RATES, replayCheck } from './replay.ts';
import { runSeed, type SeedResult } from './run.ts';

/**
 * Rates tuned so that 5,000 operations inject well over 500 faults of every kind the runtime has, while a
 * crash (which holds a request's idempotency lock until the function's timeout) stays rare.
 */
export const DEFAULT_RATES =
  'dynamodb.response-lost=0.004,dynamodb.throttle=0.01,dynamodb.latency=0.005,sqs=0.05,stream=0.03,lambda.crash=0.002,lambda.timeout=0.001,processor=0.02';

export function parseSeeds(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map((n) => Number(n.trim()));
    if (from === undefined || !Number.isSafeInteger(from)) throw new Error(`bad seed '${part}'`);
    if (to === undefined) return [from];
    if (!Number.isSafeInteger(to) || to < from) throw new Error(`bad seed range '${part}'`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

export function summarize(results: readonly SeedResult[]) {
  const faultsByKind: Record<string, number> = {};
  for (const r of results)
    for (const [k, n] of Object.entries(r.faults)) faultsByKind[k] = (faultsByKind[k] ?? 0) + n;
  return {
    report: 'chaos',
    seeds: results.length,
    operations: results.reduce((a, r) => a + r.operations, 0),
    clientRetries: results.reduce((a, r) => a + r.clientRetries, 0),
    faultsInjected: results.reduce((a, r) => a + r.faultCount, 0),
    faultsByKind,
    invariantsChecked: [...new Set(results.flatMap((r) => r.invariantsChecked))],
    invariantChecks: results.reduce((a, r) => a + r.invariantsChecked.length, 0),
    violations: results.reduce((a, r) => a + r.violations.length, 0),
    durationMs: results.reduce((a, r) => a + r.durationMs, 0),
  };
}

function writeReport(path: string, report: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

function printSeed(result: SeedResult): void {
  console.error(
    `seed ${result.seed}: ${result.operations} operations, ${result.faultCount} faults (log ${result.faultLogHash}), ` +
      `${result.violations.length} violations, ${Math.round(result.durationMs / 1000)} s`,
  );
}

/** `--replay-check`: every seed twice in serial mode; exit 1 unless each pair's fault logs are identical. */
async function replayMain(
  seeds: number[],
  operations: number,
  chaosRates: string,
  reportPath: string,
  serial: boolean,
) {
  const checks = [];
  for (const seed of seeds) {
    const check = await replayCheck({ seed, operations, chaosRates, serial, log: (l) => console.error(l) });
    for (const run of check.runs) printSeed(run);
    console.error(
      `seed ${seed}: the two fault logs are ${check.identical ? 'identical' : `NOT identical (${JSON.stringify(check.firstDifference)})`}`,
    );
    checks.push({
      seed,
      identical: check.identical,
      faults: check.runs[0].faultCount,
      boundaries: check.boundaries,
      hashes: check.runs.map((r) => r.faultLogHash),
      violations: check.runs.reduce((n, r) => n + r.violations.length, 0),
      durationMs: check.runs.map((r) => r.durationMs),
      settleMs: check.runs.map((r) => r.settleMs),
      operationsByName: check.runs[0].operationsByName,
      ...(check.firstDifference ? { firstDifference: check.firstDifference } : {}),
    });
    writeReport(reportPath, { report: 'chaos-replay', chaosRates, operations, checks });
  }
  console.log(JSON.stringify({ report: 'chaos-replay', chaosRates, operations, checks }));
  if (checks.some((c) => !c.identical || c.violations > 0)) process.exit(1);
}

async function main() {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      seeds: { type: 'string' },
      operations: { type: 'string' },
      chaos: { type: 'string' },
      report: { type: 'string' },
      serial: { type: 'boolean', default: undefined },
      'replay-check': { type: 'boolean' },
    },
  });
  const seeds = parseSeeds(values.seeds ?? process.env.CHAOS_SEEDS ?? '1-10');
  const total = Number(values.operations ?? process.env.CHAOS_OPERATIONS ?? 5_000);
  const rates =
    values.chaos ?? process.env.CHAOS_RATES ?? (values['replay-check'] ? REPLAY_RATES : DEFAULT_RATES);
  const chaosRates = rates === 'off' ? '' : rates;
  const reportPath =
    values.report ??
    process.env.CHAOS_REPORT ??
    join(import.meta.dirname, '..', '..', 'bench', 'results', 'chaos.json');
  const perSeed = Math.ceil(total / seeds.length);
  const serial = values.serial === true || process.env.CHAOS_SERIAL === '1';
  if (values['replay-check'])
    return replayMain(seeds, perSeed, chaosRates, reportPath, values.serial !== false);
  const results: SeedResult[] = [];
  for (const seed of seeds) {
    const log = (l: string) => console.error(l);
    const result = await runSeed({ seed, operations: perSeed, chaosRates, serial, log });
    results.push(result);
    printSeed(result);
    for (const v of result.violations) console.error(`  VIOLATION [${v.invariant}] ${v.detail}`);
    if (result.violations.length > 0) console.error(`  replay: ${result.replay}\n  logs: ${result.logFile}`);
    // Written after every seed, so a run cut short still leaves its report.
    writeReport(reportPath, { ...summarize(results), chaosRates, serial, results });
  }
  const summary = summarize(results);
  console.log(JSON.stringify(summary));
  const failed = results.filter((r) => r.violations.length > 0);
  if (failed.length > 0) {
    console.error(`FAILED seeds: ${failed.map((r) => r.seed).join(', ')}; replay one with:`);
    for (const r of failed) console.error(`  ${r.replay}`);
    process.exit(1);
  }
}

if (import.meta.main) await main();
