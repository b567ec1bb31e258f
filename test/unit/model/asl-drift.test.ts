/**
 * The Promela model of the saga (models/settlement.pml) mirrors statemachines/payment-settlement.asl.json:
 * every ASL state is a label of the same name in `proctype Saga`, every Task state one
 * `TASK(step, maxAttempts, Next, Catch BusinessRejectionError, Catch States.ALL)` line, the Route
 * choice one `:: mode == … -> goto …` per resume mode. This test fails when either side changes alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUSINESS_REJECTION, TRANSIENT_ERRORS } from '../../../lambdas/handlers/saga/saga-error.ts';

const root = resolve(import.meta.dirname, '../../..');
const ASL_TEXT = readFileSync(join(root, 'statemachines/payment-settlement.asl.json'), 'utf8');
const PML_TEXT = readFileSync(join(root, 'models/settlement.pml'), 'utf8');
const SAGA_HANDLERS = join(root, 'lambdas/handlers/saga');

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly MaxAttempts?: number;
}
interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
}
interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly And?: readonly Record<string, unknown>[]; readonly Next: string }[];
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
}
interface Asl {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** The model's name for the ASL's `End: true`. */
const END_LABEL = 'Ended';
/** Labels of `proctype Saga` that are not ASL states. */
const MODEL_ONLY_LABELS = new Set([END_LABEL, 'finish']);
/** The model's constant for each `$.resume` mode the Route choice knows. */
const RESUME_MODES: Readonly<Record<string, string>> = { compensate: 'COMPENSATE', notify: 'NOTIFY_ME' };

/** The body of `proctype Saga(…) { … }`: from its header to the next line that is a lone `}`. */
function sagaBody(pml: string): string {
  const start = pml.indexOf('proctype Saga(');
  if (start < 0) return '';
  const end = pml.indexOf('\n}\n', start);
  return pml.slice(start, end < 0 ? undefined : end);
}

/** What the ASL says about one Task state, in the shape of the model's TASK line. */
function expectedTask(name: string, state: AslState): string[] {
  const problems: string[] = [];
  const [business, transient, ...more] = state.Retry ?? [];
  if (business?.ErrorEquals.join() !== BUSINESS_REJECTION || business.MaxAttempts !== 0 || more.length > 0) {
    problems.push(`${name}: Retry is not [${BUSINESS_REJECTION} MaxAttempts 0, transient errors]`);
  }
  if (transient?.ErrorEquals.join() !== TRANSIENT_ERRORS.join()) {
    problems.push(`${name}: the transient Retry does not list TRANSIENT_ERRORS`);
  }
  const [catchBusiness, catchAll, ...moreCatch] = state.Catch ?? [];
  if (
    catchBusiness?.ErrorEquals.join() !== BUSINESS_REJECTION ||
    catchAll?.ErrorEquals.join() !== 'States.ALL' ||
    moreCatch.length > 0
  ) {
    problems.push(`${name}: Catch is not [${BUSINESS_REJECTION}, States.ALL]`);
  }
  return problems;
}

/** Every difference between the ASL and the model, as sentences; empty when they mirror each other. */
function aslDrift(aslText: string, pmlText: string): string[] {
  const asl = JSON.parse(aslText) as Asl;
  const body = sagaBody(pmlText);
  const problems: string[] = [];
  const labels = new Set([...body.matchAll(/^([A-Za-z]\w*):/gm)].map((m) => m[1] ?? ''));
  const tasks = new Map(
    [...body.matchAll(/^(\w+):\s*TASK\((\w+),\s*(\d+),\s*(\w+),\s*(\w+),\s*(\w+)\);/gm)].map((m) => [
      m[1] ?? '',
      { retries: Number(m[3]), next: m[4], onBusiness: m[5], onAll: m[6] },
    ]),
  );
  if (!labels.has(asl.StartAt) || !/^proctype Saga\(byte mode\) \{[\s\S]*?^Route:/m.test(body)) {
    problems.push(`the model does not start at ${asl.StartAt}`);
  }
  for (const [name, state] of Object.entries(asl.States)) {
    if (!labels.has(name)) {
      problems.push(`ASL state ${name} has no label in proctype Saga`);
      continue;
    }
    if (state.Type === 'Task') {
      problems.push(...expectedTask(name, state));
      const task = tasks.get(name);
      const transient = state.Retry?.[1]?.MaxAttempts;
      const next = state.End ? END_LABEL : state.Next;
      const onBusiness = state.Catch?.[0]?.Next;
      const onAll = state.Catch?.[1]?.Next;
      if (!task) problems.push(`${name} is a Task in the ASL but not a TASK(…) line in the model`);
      else if (task.retries !== transient || task.next !== next) {
        problems.push(
          `${name}: the ASL retries ${transient} times then goes to ${next}; the model ${task.retries}, ${task.next}`,
        );
      } else if (task.onBusiness !== onBusiness || task.onAll !== onAll) {
        problems.push(
          `${name}: the ASL catches to ${onBusiness} / ${onAll}; the model to ${task.onBusiness} / ${task.onAll}`,
        );
      }
    } else if (state.Type === 'Choice') {
      for (const choice of state.Choices ?? []) {
        const mode = choice.And?.map((c) => c.StringEquals).find((v) => typeof v === 'string');
        const constant = typeof mode === 'string' ? RESUME_MODES[mode] : undefined;
        if (!constant || !body.includes(`:: mode == ${constant} -> goto ${choice.Next}`)) {
          problems.push(`${name}: the choice resume=${String(mode)} -> ${choice.Next} is not in the model`);
        }
      }
      if (!body.includes(`:: else -> goto ${state.Default}`)) {
        problems.push(`${name}: the default -> ${state.Default} is not in the model`);
      }
    } else if (!new RegExp(`^${name}:\\s*\\n\\s*done ! O_\\w+`, 'm').test(body)) {
      problems.push(`${name} (${state.Type}) does not end the execution with an outcome in the model`);
    }
  }
  for (const label of labels) {
    if (!MODEL_ONLY_LABELS.has(label) && !(label in asl.States)) {
      problems.push(`model label ${label} is not an ASL state`);
    }
  }
  return problems;
}

describe('the saga model mirrors the state machine', () => {
  it('has every ASL state, Retry and Catch edge, and nothing else', () => {
    expect(aslDrift(ASL_TEXT, PML_TEXT)).toEqual([]);
  });

  it('each modelled Task is a saga handler under the same state name', () => {
    const handlers = readdirSync(SAGA_HANDLERS)
      .map((file) => readFileSync(join(SAGA_HANDLERS, file), 'utf8'))
      .join('\n');
    const asl = JSON.parse(ASL_TEXT) as Asl;
    const tasks = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name] of tasks) expect(handlers).toContain(`sagaTask('${name}'`);
  });

  it('fails when a state is renamed on one side', () => {
    const renamedAsl = ASL_TEXT.replaceAll('"VoidReservation"', '"CancelReservation"');
    expect(aslDrift(renamedAsl, PML_TEXT)).toEqual(
      expect.arrayContaining([
        'ASL state CancelReservation has no label in proctype Saga',
        'model label VoidReservation is not an ASL state',
      ]),
    );
    const renamedModel = PML_TEXT.replace('\nPostTransfer:', '\nPostTheTransfer:');
    expect(aslDrift(ASL_TEXT, renamedModel)).toContain(
      'ASL state PostTransfer has no label in proctype Saga',
    );
  });

  it('fails when a Retry or Catch edge changes on one side', () => {
    const asl = JSON.parse(ASL_TEXT) as { States: Record<string, { Retry: { MaxAttempts: number }[] }> };
    const capture = asl.States.CaptureAtProcessor;
    if (capture?.Retry[1]) capture.Retry[1].MaxAttempts = 2;
    expect(aslDrift(JSON.stringify(asl), PML_TEXT)).toEqual([
      'CaptureAtProcessor: the ASL retries 2 times then goes to PostTransfer; the model 4, PostTransfer',
    ]);
    const rerouted = PML_TEXT.replace(
      'TASK(CAPTURE, 4, PostTransfer, VoidReservation, RefundAtProcessor)',
      'TASK(CAPTURE, 4, PostTransfer, VoidReservation, VoidReservation)',
    );
    expect(aslDrift(ASL_TEXT, rerouted)).toEqual([
      'CaptureAtProcessor: the ASL catches to VoidReservation / RefundAtProcessor; the model to VoidReservation / VoidReservation',
    ]);
  });
});
