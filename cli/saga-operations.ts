// The operator path of the payment saga. After CompensationFailed (or NotificationFailed), fix the cause,
// then resume: a new execution, `<paymentId>-<mode>-<n>`, with `{tenantId, paymentId, resume}`; the state
// machine's Route state sends it straight to the compensations (or the notification), which are
// idempotent, so steps that already ran do nothing. Works the same on AWS and on the local runtime.
// `aws stepfunctions redrive-execution` restarts at the unsuccessful state, and for a caught failure that
// is the Fail state itself, so it is not the tool here.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { OperatorError } from './errors.ts';

export type ResumeMode = 'compensate' | 'notify';

/** The compensating states of statemachines/payment-settlement.asl.json, in the order they run. */
export const COMPENSATIONS: readonly string[] = ['RefundAtProcessor', 'VoidReservation', 'MarkPaymentFailed'];

/** The execution ARN of a state machine's execution by name. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

async function describeOriginal(
  client: SFNClient,
  stateMachineArn: string,
  paymentId: string,
): Promise<DescribeExecutionCommandOutput> {
  try {
    return await client.send(
      new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, paymentId) }),
    );
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') {
      throw new OperatorError(`payment ${paymentId} has no saga execution on this target`, {
        fix: 'check the payment id (pay_…) and the target (--target local or --stage <name>)',
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Starts a resume execution for a payment; the tenant is read from the payment's original execution.
 * Returns the new execution's ARN once it has finished (or after `waitMs`).
 */
export async function resumeSaga(input: {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  readonly paymentId: string;
  readonly mode: ResumeMode;
  /** @default 120_000 */
  readonly waitMs?: number;
  readonly onProgress?: (status: string) => void;
}): Promise<{ executionArn: string; status: string }> {
  const original = await describeOriginal(input.client, input.stateMachineArn, input.paymentId);
  const { tenantId } = JSON.parse(original.input ?? '{}') as { tenantId?: string };
  if (!tenantId) throw new OperatorError(`Execution ${input.paymentId} has no tenantId in its input`);
  const started = await input.client.send(
    new StartExecutionCommand({
      stateMachineArn: input.stateMachineArn,
      name: `${input.paymentId}-${input.mode}-${Date.now()}`,
      input: JSON.stringify({ tenantId, paymentId: input.paymentId, resume: input.mode }),
    }),
  );
  const arn = started.executionArn as string;
  const deadline = Date.now() + (input.waitMs ?? 120_000);
  for (;;) {
    const { status } = await input.client.send(new DescribeExecutionCommand({ executionArn: arn }));
    input.onProgress?.(String(status));
    if (status !== 'RUNNING' || Date.now() > deadline) return { executionArn: arn, status: String(status) };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One state an execution went through. */
export interface TimelineStep {
  readonly state: string;
  readonly type: string;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
  readonly compensation: boolean;
  /** The error of the last failed attempt, if any attempt failed. */
  readonly error: string | null;
  /** Failed attempts (a Task that retried and then succeeded has failures and no Catch). */
  readonly failures: number;
  /** The cause of the last failed attempt (the task's error message), if any attempt failed. */
  readonly cause: string | null;
}

/** One execution of a payment's saga (the original, or a resume). */
export interface TimelineExecution {
  readonly name: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly steps: readonly TimelineStep[];
}

/** A payment's saga: every execution, its states, times and compensations. */
export interface PaymentTimeline {
  readonly paymentId: string;
  readonly tenantId: string | null;
  readonly executions: readonly TimelineExecution[];
  /** The compensations that completed, in order, across executions. */
  readonly compensations: readonly string[];
}

const iso = (value: Date | number | undefined): string | null =>
  value === undefined ? null : new Date(value instanceof Date ? value : value * 1000).toISOString();

/** The steps of one execution's history. */
export function stepsOf(events: readonly HistoryEvent[]): TimelineStep[] {
  const steps: { -readonly [K in keyof TimelineStep]: TimelineStep[K] }[] = [];
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const state = event.stateEnteredEventDetails.name;
      steps.push({
        state,
        type: type.replace(/StateEntered$/, ''),
        enteredAt: iso(event.timestamp) ?? '',
        exitedAt: null,
        compensation: COMPENSATIONS.includes(state),
        error: null,
        failures: 0,
        cause: null,
      });
    } else if (type.endsWith('StateExited')) {
      const step = steps.at(-1);
      if (step) step.exitedAt = iso(event.timestamp);
    } else if (type === 'TaskFailed' || type === 'LambdaFunctionFailed') {
      const step = steps.at(-1);
      const details = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
      if (step) {
        step.error = details?.error ?? 'failed';
        step.cause = details?.cause ?? null;
        step.failures++;
      }
    }
  }
  return steps;
}

async function history(client: SFNClient, arn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The payment's executions (its own and the resumes named `<paymentId>-…`), oldest first. */
async function executionsOf(
  client: SFNClient,
  stateMachineArn: string,
  paymentId: string,
): Promise<string[]> {
  const arns = new Set<string>([executionArn(stateMachineArn, paymentId)]);
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }),
    );
    for (const e of page.executions ?? []) {
      if (e.name?.startsWith(`${paymentId}-`) && e.executionArn) arns.add(e.executionArn);
    }
    nextToken = page.nextToken;
    // Standard workflows keep 90 days of executions; the resumes of a payment are recent, so a bound is fine.
  } while (nextToken && ++pages < 20);
  return [...arns];
}

/** Reads a payment's saga from Step Functions: executions, states with times, compensations. */
export async function paymentTimeline(input: {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  readonly paymentId: string;
}): Promise<PaymentTimeline> {
  const { client, stateMachineArn, paymentId } = input;
  const original = await describeOriginal(client, stateMachineArn, paymentId);
  const { tenantId } = JSON.parse(original.input ?? '{}') as { tenantId?: string };
  const executions: TimelineExecution[] = [];
  for (const arn of await executionsOf(client, stateMachineArn, paymentId)) {
    const [described, events] = await Promise.all([
      arn === original.executionArn
        ? original
        : client.send(new DescribeExecutionCommand({ executionArn: arn })),
      history(client, arn),
    ]);
    executions.push({
      name: described.name ?? arn,
      executionArn: arn,
      status: String(described.status),
      startedAt: iso(described.startDate) ?? '',
      stoppedAt: iso(described.stopDate),
      error: described.error ?? null,
      cause: described.cause ?? null,
      steps: stepsOf(events),
    });
  }
  executions.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const compensations = [
    ...new Set(
      executions.flatMap((e) =>
        e.steps.filter((s) => s.compensation && s.exitedAt !== null).map((s) => s.state),
      ),
    ),
  ];
  return { paymentId, tenantId: tenantId ?? null, executions, compensations };
}

/**
 * Where a resume should enter, from the payment's latest execution. A PostTransfer whose answer was lost
 * may have settled the payment after the state machine gave up on it; the compensation then refuses to
 * refund a settled payment (the card is not refunded for a payment that settled), and resuming the
 * compensation can never succeed: what is left is the merchant's notification. Anything else resumes the
 * compensation.
 */
export function resumeModeFor(timeline: PaymentTimeline): {
  readonly mode: ResumeMode;
  readonly why: string;
} {
  const latest = timeline.executions.at(-1);
  const refund = latest?.steps.filter((step) => step.state === 'RefundAtProcessor').at(-1);
  if (refund?.cause && /\[payment-state\]/.test(refund.cause) && / is settled[;:]/.test(refund.cause)) {
    return {
      mode: 'notify',
      why: 'the payment settled (its PostTransfer succeeded after the saga gave up on it): only the notification is left',
    };
  }
  return { mode: 'compensate', why: 'the compensation did not finish' };
}
