import type { PaymentEvent } from '../../domain/events.ts';
import { PAYMENT, type PaymentState } from '../../domain/payments/payment.ts';
import type { LedgerPorts } from '../../domain/ports.ts';
import { type CommandContext, LedgerWork } from '../unit-of-work.ts';

/** Every saga step and payment command names its payment. */
export interface PaymentRef {
  readonly paymentId: string;
}

/** What a step's `decide` may use: its ports, and the unit of work its money legs go into. */
export interface StepEnv<P extends LedgerPorts> {
  readonly ports: P;
  readonly work: LedgerWork;
  /** The command's time. */
  readonly now: Date;
}

/** A payment step, declared: when it is done already, what it refuses, and what it decides. */
export interface PaymentStepSpec<I extends PaymentRef, P extends LedgerPorts> {
  /** The step's event is already in the stream: return the payment as it is (idempotency). */
  readonly isDone: (payment: PaymentState, input: I) => boolean;
  /** Rejects a payment the step may not act on (throws a LedgerError). */
  readonly guard?: (payment: PaymentState, input: I) => void;
  /** The payment events to record; money legs go into `env.work`. No events: nothing is written. */
  readonly decide: (
    payment: PaymentState,
    input: I,
    env: StepEnv<P>,
  ) => readonly PaymentEvent[] | Promise<readonly PaymentEvent[]>;
  /** Checks the resulting payment, done before or just now (e.g. a recorded risk rejection is thrown). */
  readonly verify?: (payment: PaymentState, input: I) => void;
}

/**
 * The one envelope of every payment step: load the payment (PaymentNotFoundError if missing), return
 * it when the step is done already, guard, decide, and append the payment's events together with the
 * money legs in ONE write conditioned on every stream's version. A racing duplicate loses that
 * condition, and its retry then finds the step done.
 */
export function paymentStep<I extends PaymentRef, P extends LedgerPorts = LedgerPorts>(
  spec: PaymentStepSpec<I, P>,
): (ports: P, ctx: CommandContext, input: I) => Promise<PaymentState> {
  return async (ports, ctx, input) => {
    const work = new LedgerWork(ports, ctx);
    const tracked = await work.payment(input.paymentId);
    let payment = tracked.state;
    if (!spec.isDone(payment, input)) {
      spec.guard?.(payment, input);
      const events = await spec.decide(payment, input, { ports, work, now: work.now() });
      for (const event of events) payment = work.record(PAYMENT, tracked, event);
      await work.commit();
    }
    spec.verify?.(payment, input);
    return payment;
  };
}
