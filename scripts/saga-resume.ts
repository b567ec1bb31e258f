// The operator path of the payment saga: after CompensationFailed (or NotificationFailed), fix the cause,
// then resume. It starts a new execution, `<paymentId>-<mode>-<n>`, with `{tenantId, paymentId, resume}`:
// the state machine's Route state sends it straight to the compensations (or the notification), which
// are idempotent, so steps that already ran do nothing. Works the same on AWS and on the local runtime
// (AWS_ENDPOINT_URL_SFN). `aws stepfunctions redrive-execution` restarts at the unsuccessful state, and
// for a caught failure that is the Fail state itself, so it is not the tool here.
//
//   npm run saga:resume -- <paymentId> [compensate|notify] [--state-machine <arn>]
//   npm run saga:retry-compensation -- <paymentId>
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export type ResumeMode = 'compensate' | 'notify';

/** The execution ARN of a state machine's execution by name. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
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
}): Promise<{ executionArn: string; status: string }> {
  const original = await input.client.send(
    new DescribeExecutionCommand({ executionArn: executionArn(input.stateMachineArn, input.paymentId) }),
  );
  const { tenantId } = JSON.parse(original.input ?? '{}') as { tenantId?: string };
  if (!tenantId) throw new Error(`Execution ${input.paymentId} has no tenantId in its input`);
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
    if (status !== 'RUNNING' || Date.now() > deadline) return { executionArn: arn, status: String(status) };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function cli(): Promise<void> {
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  const args = process.argv.slice(2);
  const flag = args.indexOf('--state-machine');
  const stateMachineArn = flag >= 0 ? args[flag + 1] : process.env.PAYMENT_STATE_MACHINE_ARN;
  const positional = args.filter((_, i) => i !== flag && i !== flag + 1);
  const [paymentId, modeArg] = positional;
  const mode = (process.env.SAGA_RESUME_MODE ?? modeArg ?? 'compensate') as ResumeMode;
  if (!paymentId || !stateMachineArn || (mode !== 'compensate' && mode !== 'notify')) {
    process.stderr.write(
      'Usage: npm run saga:resume -- <paymentId> [compensate|notify] --state-machine <arn>\n' +
        '  (or PAYMENT_STATE_MACHINE_ARN; the stack output PaymentStateMachineArn; AWS_ENDPOINT_URL_SFN for the local runtime)\n',
    );
    process.exit(2);
  }
  const result = await resumeSaga({ client: new SFNClient({}), stateMachineArn, paymentId, mode });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.status !== 'SUCCEEDED') process.exit(1);
}

if (import.meta.main) await cli();
