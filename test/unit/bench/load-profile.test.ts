import { describe, expect, it } from 'vitest';
import { cpuAgainstBaseline, readBaselineText } from '../../../bench/support/load-baseline.ts';
import { perPayment } from '../../../bench/support/load-profile-payments.ts';
import { type CpuProfile, ownerOf, summarizeProfiles } from '../../../bench/support/load-profile-summary.ts';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

describe('load profile summary', () => {
  it('owners: npm packages (scoped or not), project folders, node internals', () => {
    expect(ownerOf('../../node_modules/@smithy/core/dist-es/x.js')).toBe('@smithy/core');
    expect(ownerOf('file:///p/node_modules/zod/v4/core.js')).toBe('zod');
    expect(ownerOf('../../lambdas/shared/api.ts')).toBe('lambdas/shared');
    expect(ownerOf('file:///p/local/api-gateway.ts')).toBe('local/api-gateway.ts');
    expect(ownerOf('node:internal/streams/readable')).toBe('node internals');
    expect(ownerOf('node:events')).toBe('node:events');
    expect(ownerOf('')).toBe('V8 / native');
  });

  it('sums self time by owner inside the window only, skipping idle, per operation', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('send', 'file:///p/node_modules/@smithy/core/a.js') },
        { id: 3, callFrame: frame('(idle)', '') },
        { id: 4, callFrame: frame('handle', 'file:///p/local/api-gateway.ts') },
      ],
      startTime: 1_000,
      endTime: 9_000,
      // Sample i happens at startTime + sum(timeDeltas[0..i]) and lasts timeDeltas[i + 1] µs.
      samples: [2, 2, 3, 4, 2],
      timeDeltas: [0, 1_000, 1_000, 1_000, 1_000, 1_000],
    };
    const all = summarizeProfiles([profile], 2);
    expect(all.busyMsPerOp).toBe(2);
    expect(all.byOwner).toEqual([
      { name: '@smithy/core', msPerOp: 1.5 },
      { name: 'local/api-gateway.ts', msPerOp: 0.5 },
    ]);
    expect(all.byThread).toEqual([{ name: 'runtime (main thread)', msPerOp: 2 }]);
    // Only the samples at 3,000 … 4,000 µs: idle and the gateway.
    const window = summarizeProfiles([profile], 1, { fromUs: 2_500, toUs: 4_000 });
    expect(window.byOwner).toEqual([{ name: 'local/api-gateway.ts', msPerOp: 1 }]);
  });
});

describe('load bench against a baseline', () => {
  const baseline = readBaselineText(
    JSON.stringify({ bench: 'load', cpuMsPerTransfer: { machineAt16: 92.8, stackAt16: 51.7 } }),
  );

  it('reads CPU per transfer at 16 clients from an earlier result, and refuses anything else', () => {
    expect(baseline).toEqual({ machineAt16: 92.8, stackAt16: 51.7 });
    expect(() => readBaselineText('{"bench":"other"}')).toThrow(/cpuMsPerTransfer/);
  });

  it('prints this run as a fraction of it, halved at ≤ 0.5', () => {
    expect(cpuAgainstBaseline(baseline, { machineMsPerOp: 46.4, stackMsPerOp: 30 })).toEqual({
      baseline,
      machineAt16OverBaseline: 0.5,
      stackAt16OverBaseline: 0.58,
      machineHalved: true,
      stackHalved: false,
    });
    expect(cpuAgainstBaseline(baseline, { machineMsPerOp: null, stackMsPerOp: 20 }).machineHalved).toBe(
      false,
    );
  });
});

describe('payments profile', () => {
  it('counts per payment what each function did in the window, without the stack prefix', () => {
    const before = {
      'Ledgerline-PostPayments': { invocations: 3, coldStarts: 1 },
      Idle: { invocations: 2, coldStarts: 1 },
    };
    const after = {
      'Ledgerline-PostPayments': { invocations: 13, coldStarts: 1 },
      'Ledgerline-Projector': { invocations: 25, coldStarts: 2 },
      Idle: { invocations: 2, coldStarts: 1 },
    };
    expect(perPayment(before, after, 10)).toEqual({
      PostPayments: { invocations: 1, coldStarts: 0 },
      Projector: { invocations: 2.5, coldStarts: 0.2 },
    });
  });
});
