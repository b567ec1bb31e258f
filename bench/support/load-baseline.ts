/** Comparing a load bench run's CPU per transfer with an earlier run's (issue 10: "at least halve"). */
import { ratio } from './stats.ts';

/** What a baseline contributes: the CPU per transfer at 16 clients of an earlier `bench/load.ts` result. */
export interface LoadBaseline {
  readonly machineAt16: number | null;
  readonly stackAt16: number | null;
}

/** Reads the CPU per transfer at 16 clients from an earlier result (its JSON line or pretty-printed copy). */
export function readBaselineText(text: string): LoadBaseline {
  const result = JSON.parse(text) as { cpuMsPerTransfer?: Partial<LoadBaseline> };
  const cpu = result.cpuMsPerTransfer;
  if (!cpu) throw new Error('not a bench/load.ts result: no cpuMsPerTransfer');
  return { machineAt16: cpu.machineAt16 ?? null, stackAt16: cpu.stackAt16 ?? null };
}

/** This run's CPU per transfer at 16 clients as a fraction of the baseline's; ≤ 0.5 is issue 10's goal. */
export function cpuAgainstBaseline(
  baseline: LoadBaseline,
  now: { readonly machineMsPerOp: number | null; readonly stackMsPerOp: number | null },
) {
  const machine = ratio(now.machineMsPerOp, baseline.machineAt16);
  const stack = ratio(now.stackMsPerOp, baseline.stackAt16);
  return {
    baseline,
    machineAt16OverBaseline: machine,
    stackAt16OverBaseline: stack,
    machineHalved: machine !== null && machine <= 0.5,
    stackHalved: stack !== null && stack <= 0.5,
  };
}
