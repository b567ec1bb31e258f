// The CLI's pieces without a process: the state file, the projector's tables, a saga history as a timeline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { projectorEnvironment, resolveValue } from '../../../cli/projection-target.ts';
import { type PaymentTimeline, resumeModeFor, stepsOf } from '../../../cli/saga-operations.ts';
import {
  isAlive,
  type LocalStateFile,
  readStateFile,
  removeStateFile,
  stateFilePath,
  writeStateFile,
} from '../../../local/state-file.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ledgerline-cli-modules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const state = (pid: number): LocalStateFile => ({
  version: 1,
  pid,
  startedAt: '2026-01-01T00:00:00.000Z',
  stackName: 'Ledgerline',
  region: 'us-east-1',
  cdkOut: '/tmp/cdk.out',
  apiUrl: 'http://127.0.0.1:3000',
  apiKeys: [{ id: 'k1', value: 'key-1', source: 'dev' }],
  endpoints: {
    dynamodb: 'http://127.0.0.1:1',
    sqs: 'http://127.0.0.1:2',
    stepFunctions: 'http://127.0.0.1:3',
    secretsManager: 'http://127.0.0.1:4',
  },
  outputs: {},
  refs: {},
  stateMachines: {},
  queues: {},
});

describe('the state file', () => {
  it('is .ledgerline/local-runtime.json in the project unless LEDGERLINE_STATE_FILE names another', () => {
    expect(stateFilePath('/repo', {})).toBe('/repo/.ledgerline/local-runtime.json');
    expect(stateFilePath('/repo', { LEDGERLINE_STATE_FILE: '/tmp/x.json' })).toBe('/tmp/x.json');
  });

  it('is written, read back, and removed only by the process that wrote it', () => {
    const path = join(scratch, 'nested', 'state.json');
    expect(readStateFile(path)).toBeUndefined();
    writeStateFile(path, state(process.pid));
    expect(readStateFile(path)).toEqual(state(process.pid));
    removeStateFile(path, process.pid + 1);
    expect(readStateFile(path)).toBeDefined();
    removeStateFile(path, process.pid);
    expect(readStateFile(path)).toBeUndefined();
  });

  it('tells a running writer from a gone one', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });
});

describe("the projector's tables", () => {
  const env = {
    EVENTS_TABLE_NAME: { Ref: 'Events' },
    SNAPSHOTS_TABLE_NAME: { Ref: 'Snapshots' },
    READ_MODEL_POINTERS_TABLE: 'pointers',
    ACCOUNT_VIEW_TABLES: { 'Fn::Join': [',', [{ Ref: 'AvBlue' }, { Ref: 'AvGreen' }]] },
    ACCOUNT_HISTORY_TABLES: 'a,b',
    TRANSFER_VIEW_TABLES: 'a,b',
    DAILY_TOTALS_TABLES: 'a,b',
    PAYMENT_VIEW_TABLES: 'a,b',
  };
  const template = {
    Resources: {
      Other: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { X: '1' } } } },
      Projector: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: env } } },
    },
  };

  it("are found in the function that has every read model's variable", () => {
    expect(projectorEnvironment(template)).toBe(env);
    expect(() => projectorEnvironment({ Resources: {} })).toThrow(/no projector function/);
  });

  it("resolve with the target's resource names", () => {
    const refs = { AvBlue: 'stack-av-blue', AvGreen: 'stack-av-green', Events: 'stack-events' };
    expect(resolveValue(env.ACCOUNT_VIEW_TABLES, refs)).toBe('stack-av-blue,stack-av-green');
    expect(resolveValue(env.EVENTS_TABLE_NAME, refs)).toBe('stack-events');
    expect(() => resolveValue(env.SNAPSHOTS_TABLE_NAME, refs)).toThrow(/no resource Snapshots/);
  });
});

describe("a saga execution's history as a timeline", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const entered = (name: string, type: string, s: number): HistoryEvent => ({
    id: s,
    timestamp: at(s),
    type: `${type}StateEntered` as HistoryEvent['type'],
    stateEnteredEventDetails: { name },
  });
  const failed = (error: string, s: number): HistoryEvent => ({
    id: s,
    timestamp: at(s),
    type: 'TaskFailed',
    taskFailedEventDetails: { error, resource: 'invoke', resourceType: 'lambda' },
  });
  const exited = (name: string, type: string, s: number): HistoryEvent => ({
    id: s,
    timestamp: at(s),
    type: `${type}StateExited` as HistoryEvent['type'],
    stateExitedEventDetails: { name },
  });

  it('lists the states with their times, failed attempts and compensations', () => {
    const steps = stepsOf([
      { id: 0, timestamp: at(0), type: 'ExecutionStarted' },
      entered('PostTransfer', 'Task', 1),
      failed('AccountFrozenError', 2),
      entered('RefundAtProcessor', 'Task', 3),
      failed('ProcessorUnavailableError', 4),
      failed('ProcessorUnavailableError', 5),
      entered('CompensationFailed', 'Fail', 6),
    ]);
    expect(steps).toEqual([
      expect.objectContaining({
        state: 'PostTransfer',
        compensation: false,
        failures: 1,
        error: 'AccountFrozenError',
      }),
      expect.objectContaining({
        state: 'RefundAtProcessor',
        type: 'Task',
        compensation: true,
        failures: 2,
        enteredAt: '2026-01-01T00:00:03.000Z',
        exitedAt: null,
      }),
      expect.objectContaining({ state: 'CompensationFailed', type: 'Fail', compensation: false }),
    ]);
  });

  it('marks when a state was left', () => {
    const [step] = stepsOf([entered('VoidReservation', 'Task', 1), exited('VoidReservation', 'Task', 2)]);
    expect(step).toMatchObject({
      compensation: true,
      failures: 0,
      error: null,
      exitedAt: '2026-01-01T00:00:02.000Z',
    });
  });

  describe('where a resume enters', () => {
    const rejection = (message: string) =>
      JSON.stringify({ errorType: 'BusinessRejectionError', errorMessage: message, trace: [] });
    const failedWith = (cause: string): HistoryEvent => ({
      id: 4,
      timestamp: at(4),
      type: 'TaskFailed',
      taskFailedEventDetails: {
        error: 'BusinessRejectionError',
        cause,
        resource: 'invoke',
        resourceType: 'lambda',
      },
    });
    const timelineOf = (...executions: HistoryEvent[][]): PaymentTimeline => ({
      paymentId: 'pay_1',
      tenantId: 't',
      compensations: [],
      executions: executions.map((events, i) => ({
        name: `pay_1-${i}`,
        executionArn: `arn:${i}`,
        status: 'FAILED',
        startedAt: '',
        stoppedAt: null,
        error: 'CompensationFailed',
        cause: null,
        steps: stepsOf(events),
      })),
    });
    const settled = rejection(
      'PaymentStateError [payment-state]: Payment pay_1 is settled; a settled payment is refunded with POST /payments/{id}/refunds',
    );

    it('is the notification for a payment that settled after the saga gave up on its PostTransfer', () => {
      const timeline = timelineOf([entered('RefundAtProcessor', 'Task', 3), failedWith(settled)]);
      expect(resumeModeFor(timeline)).toMatchObject({ mode: 'notify' });
      expect(stepsOf([entered('RefundAtProcessor', 'Task', 3), failedWith(settled)])[0]?.cause).toBe(settled);
    });

    it('is the compensation otherwise: an outage, another rejection, or an older execution that saw the settlement', () => {
      const outage = [entered('RefundAtProcessor', 'Task', 3), failed('ProcessorUnavailableError', 4)];
      const frozen = [
        entered('RefundAtProcessor', 'Task', 3),
        failedWith(rejection('AccountFrozenError [account-frozen]: Account acct_1 is frozen')),
      ];
      for (const timeline of [
        timelineOf(outage),
        timelineOf(frozen),
        timelineOf([entered('RefundAtProcessor', 'Task', 3), failedWith(settled)], outage),
        timelineOf(),
      ]) {
        expect(resumeModeFor(timeline).mode).toBe('compensate');
      }
    });
  });
});
