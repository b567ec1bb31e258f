import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { ApiFunction, PROJECT_ROOT } from './api-function.ts';
import type { EventStore } from './event-store.ts';
import type { ProcessorConnection } from './processor-connection.ts';

/** The ASL file, relative to the project root. */
export const PAYMENT_SAGA_DEFINITION = 'statemachines/payment-settlement.asl.json';

/** One task function per ASL Task state: the `${<Name>FunctionArn}` substitution, its entry, what it may touch. */
export const SAGA_TASKS = [
  { name: 'ReserveFunds', entry: 'reserve-funds', writes: true, processor: false },
  { name: 'AssessRisk', entry: 'assess-risk', writes: true, processor: false },
  { name: 'CaptureAtProcessor', entry: 'capture-at-processor', writes: true, processor: true },
  { name: 'PostTransfer', entry: 'post-transfer', writes: true, processor: false },
  { name: 'NotifyMerchant', entry: 'notify-merchant', writes: true, processor: false },
  { name: 'CompletePayment', entry: 'complete-payment', writes: false, processor: false },
  { name: 'RefundAtProcessor', entry: 'refund-at-processor', writes: true, processor: true },
  { name: 'VoidReservation', entry: 'void-reservation', writes: true, processor: false },
  { name: 'MarkPaymentFailed', entry: 'mark-payment-failed', writes: true, processor: false },
] as const;

/** Properties of a {@link PaymentSaga}. */
export interface PaymentSagaProps {
  readonly eventStore: EventStore;
  /** The processor the capture and refund tasks call. */
  readonly processor: ProcessorConnection;
  /**
   * Risk limits (a JSON RiskPolicy); unset = the defaults in lambdas/composition/payments.ts.
   * @default undefined
   */
  readonly riskPolicy?: string;
}

/**
 * Payment settlement as a Step Functions Standard workflow loaded from the ASL file: one function per
 * Task state (each may append events; only the capture/refund tasks reach the processor; only the risk
 * task the velocity table), invoke granted on each (CDK grants nothing for an ASL file), logging ALL
 * and X-Ray tracing, and an alarm on failed executions: those are the compensations or notifications
 * that ran out of retries (a compensated payment ends in a Succeed state).
 */
export class PaymentSaga extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly functions: ReadonlyMap<string, ApiFunction>;
  /** Payer velocity counters (per payer and minute, TTL). */
  public readonly velocity: TableV2;
  /** Fires when an execution fails: a compensation or notification needs an operator. */
  public readonly failedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: PaymentSagaProps) {
    super(scope, id);
    this.velocity = new TableV2(this, 'Velocity', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const functions = new Map<string, ApiFunction>();
    const substitutions: Record<string, string> = {};
    for (const task of SAGA_TASKS) {
      const fn = new ApiFunction(this, task.name, {
        entry: `lambdas/handlers/saga/${task.entry}.ts`,
        // Below the ASL TimeoutSeconds (20 s), so the function's own timeout is what a retry sees.
        timeout: Duration.seconds(15),
      });
      if (task.writes) props.eventStore.grantAppend(fn.function);
      else props.eventStore.grantRead(fn.function);
      if (task.processor) props.processor.grantCall(fn.function);
      if (task.name === 'AssessRisk') {
        fn.function.addEnvironment(ENV.velocityTable, this.velocity.tableName);
        if (props.riskPolicy) fn.function.addEnvironment(ENV.riskPolicy, props.riskPolicy);
        Grant.addToPrincipal({
          grantee: fn.function,
          actions: ['dynamodb:UpdateItem', 'dynamodb:Query'],
          resourceArns: [this.velocity.tableArn],
        });
      }
      substitutions[`${task.name}FunctionArn`] = fn.function.functionArn;
      functions.set(task.name, fn);
    }
    this.functions = functions;

    const logs = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromFile(join(PROJECT_ROOT, PAYMENT_SAGA_DEFINITION)),
      definitionSubstitutions: substitutions,
      stateMachineType: StateMachineType.STANDARD,
      tracingEnabled: true,
      // ALL events, without execution data: the state is ids only, but caught errors carry messages
      // with balances and account ids; the payment's event stream is the audit trail for those.
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    // The unqualified ARNs only (what the ASL names): no `:*` version wildcard.
    Grant.addToPrincipal({
      grantee: this.stateMachine,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [...functions.values()].map((fn) => fn.function.functionArn),
    });

    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray and CloudWatch Logs delivery actions (tracing, logging) support no resource-level permissions.',
    });

    this.failedAlarm = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription:
        'A payment saga execution failed: CompensationFailed or NotificationFailed. Fix the cause, then npm run saga:resume.',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** Lets `fn` start executions; sets PAYMENT_STATE_MACHINE_ARN. */
  public grantStart(fn: LambdaFunction): void {
    fn.addEnvironment(ENV.paymentStateMachineArn, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
  }
}
