/**
 * CPU time for benches: the whole machine's busy time from /proc/stat, and the CPU of given processes
 * from /proc/<pid>/stat. Parsing is pure (tested); reading returns null where /proc does not exist.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Busy and idle jiffies summed over all CPUs (the `cpu` line of /proc/stat). */
export interface MachineJiffies {
  readonly busy: number;
  readonly idle: number;
}

/**
 * Parses the aggregate `cpu` line: user nice system idle iowait irq softirq steal guest guest_nice.
 * Busy = user + nice + system + irq + softirq + steal (guest time is already inside user/nice);
 * idle = idle + iowait.
 */
export function parseProcStat(text: string): MachineJiffies {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number) => f[i] ?? 0;
  return { busy: at(0) + at(1) + at(2) + at(5) + at(6) + at(7), idle: at(3) + at(4) };
}

/** utime + stime (jiffies) of one process from its /proc/<pid>/stat line; the comm field may hold spaces. */
export function parseProcPidStat(text: string): number {
  const rest = text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15 → indexes 11 and 12 here.
  return Number(rest[11] ?? 0) + Number(rest[12] ?? 0);
}

let clockTicks: number | undefined;
/** Jiffies per second (USER_HZ), from `getconf CLK_TCK`; 100 if that fails. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readMachine(): MachineJiffies | null {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

function readPid(pid: number): number {
  try {
    return parseProcPidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** CPU spent between `start()` and `stop()`, in ms. */
export interface CpuSample {
  /** Busy CPU of the whole machine (every core, every process: the machine may be shared). */
  readonly machineMs: number | null;
  /** Share of the machine's capacity that was busy, 0..1. */
  readonly machineBusy: number | null;
  /** This process (its worker threads included: the local runtime runs in it) plus `pids` (java). */
  readonly stackMs: number;
}

/** Starts measuring; the returned function stops and reports. */
export function startCpu(pids: readonly number[] = []): () => CpuSample {
  const machine0 = readMachine();
  const self0 = process.cpuUsage();
  const pids0 = pids.map(readPid);
  return () => {
    const machine1 = readMachine();
    const self = process.cpuUsage(self0);
    const pidJiffies = pids.reduce((sum, pid, i) => sum + (readPid(pid) - (pids0[i] ?? 0)), 0);
    const msPerJiffy = 1000 / ticksPerSecond();
    const busy = machine0 && machine1 ? machine1.busy - machine0.busy : null;
    const idle = machine0 && machine1 ? machine1.idle - machine0.idle : null;
    return {
      machineMs: busy === null ? null : busy * msPerJiffy,
      machineBusy: busy === null || idle === null || busy + idle === 0 ? null : busy / (busy + idle),
      stackMs: (self.user + self.system) / 1000 + pidJiffies * msPerJiffy,
    };
  };
}
