// `ledgerline saga resume|retry-compensation|show <paymentId>`: the payment saga's operator path.
import { SFNClient } from '@aws-sdk/client-sfn';
import { Argument } from 'commander';
import type { CommandContext, Register } from './context.ts';
import type { Color } from './output.ts';
import {
  type PaymentTimeline,
  paymentTimeline,
  type ResumeMode,
  resumeModeFor,
  resumeSaga,
} from './saga-operations.ts';
import { output } from './target.ts';

async function withSfn<T>(
  context: CommandContext,
  body: (client: SFNClient, stateMachineArn: string) => Promise<T>,
): Promise<T> {
  const target = await context.target();
  const stateMachineArn = output(target, 'PaymentStateMachineArn');
  const client = new SFNClient(target.clientConfig('sfn'));
  try {
    return await body(client, stateMachineArn);
  } finally {
    client.destroy();
  }
}

const STATUS_COLORS: Readonly<Record<string, Color>> = {
  SUCCEEDED: 'green',
  FAILED: 'red',
  TIMED_OUT: 'red',
  ABORTED: 'yellow',
  RUNNING: 'yellow',
};

function renderTimeline(context: CommandContext, timeline: PaymentTimeline): string {
  const { out } = context;
  const lines = [`payment ${timeline.paymentId}   tenant ${timeline.tenantId ?? '?'}`];
  for (const e of timeline.executions) {
    lines.push(
      '',
      `execution ${e.name}   ${out.color(STATUS_COLORS[e.status] ?? 'dim', e.status)}   ${e.startedAt} → ${e.stoppedAt ?? '…'}`,
    );
    for (const step of e.steps) {
      const time = step.enteredAt.slice(11, 23);
      const marks = [
        step.compensation ? out.color('yellow', 'compensation') : '',
        step.failures > 0 ? out.color('red', `${step.failures} failed attempt(s), last: ${step.error}`) : '',
        step.type === 'Fail' ? out.color('red', 'Fail') : '',
      ].filter(Boolean);
      lines.push(`  ${time}  ${step.state.padEnd(20)} ${marks.join('  ')}`.trimEnd());
    }
    if (e.error)
      lines.push(`  ${out.color('red', `error ${e.error}`)}${e.cause ? `: ${e.cause.slice(0, 200)}` : ''}`);
  }
  lines.push('', `compensations: ${timeline.compensations.join(' → ') || 'none'}`);
  return lines.join('\n');
}

async function resume(context: CommandContext, paymentId: string, mode: ResumeMode): Promise<number> {
  const result = await withSfn(context, (client, stateMachineArn) =>
    resumeSaga({
      client,
      stateMachineArn,
      paymentId,
      mode,
      onProgress: (status) => context.out.progress(`${paymentId}: resume (${mode}) ${status}`),
    }),
  );
  context.out.result(result, () => `${result.executionArn}: ${result.status}`);
  if (result.status === 'SUCCEEDED') return 0;
  context.out.note(
    `the resume ended ${result.status}: see 'ledgerline saga show ${paymentId}' for the failing step, fix its cause, resume again`,
  );
  return 1;
}

export const registerSaga: Register = (parent, run) => {
  const saga = parent
    .command('saga')
    .description(
      'the payment saga: resume a payment after CompensationFailed or NotificationFailed, show its timeline',
    );

  saga
    .command('resume')
    .description('start a resume execution that enters the compensations (or the notification) directly')
    .argument('<paymentId>', 'the payment (pay_…)')
    .addArgument(
      new Argument(
        '[step]',
        'where to resume: compensate (after CompensationFailed), notify, or auto: notify for a payment that settled, else compensate',
      )
        .choices(['auto', 'compensate', 'notify'])
        .default('auto'),
    )
    .action(
      run(async (context, [paymentId, step]) => {
        const id = paymentId ?? '';
        if (step !== 'auto') return resume(context, id, step as ResumeMode);
        const timeline = await withSfn(context, (client, stateMachineArn) =>
          paymentTimeline({ client, stateMachineArn, paymentId: id }),
        );
        const { mode, why } = resumeModeFor(timeline);
        context.out.note(`resuming ${id} at ${mode}: ${why}`);
        return resume(context, id, mode);
      }),
    );

  saga
    .command('retry-compensation')
    .description(
      "the same as 'saga resume <paymentId> compensate' (kept for scripts; 'saga resume' picks the step)",
    )
    .argument('<paymentId>', 'the payment (pay_…)')
    .action(run((context, [paymentId]) => resume(context, paymentId ?? '', 'compensate')));

  saga
    .command('show')
    .description("a payment's timeline: its executions, states and times, failures and compensations")
    .argument('<paymentId>', 'the payment (pay_…)')
    .action(
      run(async (context, [paymentId]) => {
        const timeline = await withSfn(context, (client, stateMachineArn) =>
          paymentTimeline({ client, stateMachineArn, paymentId: paymentId ?? '' }),
        );
        context.out.result(timeline, () => renderTimeline(context, timeline));
        return undefined;
      }),
    );
};
