/** The measured window of a profile run: closed loops sharing a count of operations, CPU and the window's bounds. */
import { type CpuSample, startCpu } from './cpu.ts';

export interface MeasuredWindow {
  readonly seconds: number;
  /** The stack's CPU (this process with its worker threads, plus `pids`) and the machine's. */
  readonly cpu: CpuSample;
  /** This process alone (the runtime's threads and the bench's HTTP client). */
  readonly node: CpuSample;
  /** Monotonic µs, as the profiles' timestamps: `<from>-<to>` for `--summarize`. */
  readonly window: string;
}

/**
 * Runs `loops` closed loops of `op` until `ops` were started, then waits `tailMs` (the projector's and the
 * workers' work after the last answer is part of the price) before it stops measuring.
 */
export async function measureWindow(
  pids: readonly number[],
  loops: number,
  ops: number,
  op: (loop: number) => Promise<unknown>,
  tailMs: number,
): Promise<MeasuredWindow> {
  const stop = startCpu(pids);
  const stopNode = startCpu();
  const fromUs = process.hrtime.bigint() / 1000n;
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (started < ops) {
        started++;
        await op(loop);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, tailMs));
  const cpu = stop();
  const node = stopNode();
  return { seconds, cpu, node, window: `${fromUs}-${process.hrtime.bigint() / 1000n}` };
}
