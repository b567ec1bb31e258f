import { describe, expect, it } from 'vitest';
import { parkingConfig } from '../../../lambdas/shared/config.ts';
import { emfLine, emfMetrics, LEDGER_METRICS } from '../../../lambdas/shared/metrics.ts';
import { MAX_PARK_DELAY_SECONDS, parkDelaySeconds } from '../../../lambdas/shared/processor-events.ts';

const received = '2026-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(received) + seconds * 1000);

describe('parking an event that came before its predecessor', () => {
  const policy = { baseSeconds: 30, capSeconds: 900, windowSeconds: 3600 };

  it('waits 30 s, then twice as long each time, never more than SQS allows', () => {
    const delays = [undefined, 1, 2, 3, 4, 5, 6, 40].map((parked) =>
      parkDelaySeconds(policy, { receivedAt: received, parked }, at(0)),
    );
    expect(delays).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(
      parkDelaySeconds({ ...policy, capSeconds: 5000 }, { receivedAt: received, parked: 9 }, at(0)),
    ).toBe(MAX_PARK_DELAY_SECONDS);
  });

  it('stops parking once the window since it was received is over', () => {
    expect(parkDelaySeconds(policy, { receivedAt: received }, at(3599))).toBe(30);
    expect(parkDelaySeconds(policy, { receivedAt: received }, at(3600))).toBeNull();
  });

  it('defaults to 30 s and three days, and refuses a nonsense setting', () => {
    expect(parkingConfig({})).toEqual({ baseSeconds: 30, capSeconds: 900, windowSeconds: 259_200 });
    expect(() => parkingConfig({ PARK_WINDOW_SECONDS: '-1' })).toThrow(/PARK_WINDOW_SECONDS/);
  });
});

describe('business metrics', () => {
  it('are embedded metric format lines: one count per function, details as properties only', () => {
    const line = JSON.parse(
      emfLine(LEDGER_METRICS.factsOverrode, 'fn', { tenantId: 't1' }, 1_700_000_000_000),
    );
    expect(line).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Ledgerline',
            Dimensions: [['FunctionName']],
            Metrics: [{ Name: 'FactsBookedOverRules', Unit: 'Count' }],
          },
        ],
      },
      FunctionName: 'fn',
      FactsBookedOverRules: 1,
      tenantId: 't1',
    });
  });

  it('cannot have a property overwrite the metric or its dimension', () => {
    const lines: string[] = [];
    emfMetrics(
      (l) => lines.push(l),
      () => 1,
    ).count(LEDGER_METRICS.processorEventsRejected, 'fn', {
      FunctionName: 'other',
      ProcessorEventsRejected: 7,
    });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ FunctionName: 'fn', ProcessorEventsRejected: 1 });
  });
});
