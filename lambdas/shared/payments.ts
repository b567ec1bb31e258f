import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CircuitBreaker } from '../adapters/circuit-breaker.ts';
import { DynamoDbPaymentVelocity } from '../adapters/dynamodb-payment-velocity.ts';
import { HttpPaymentProcessor } from '../adapters/http-payment-processor.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import { retryOnConflict } from '../application/retry.ts';
import type { CommandContext } from '../application/unit-of-work.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import type { PaymentProcessor } from '../domain/payments/processor.ts';
import {
  limitsFor,
  type PaymentVelocity,
  type RiskLimits,
  type RiskPolicy,
} from '../domain/payments/risk.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { processorClientConfig, riskConfig } from './config.ts';
import { conflictBackoff, dynamoDbClient, ledgerPorts, MAX_COMMAND_ATTEMPTS } from './ledger.ts';

let processor: PaymentProcessor | undefined;

/**
 * The processor client, one per container: its circuit breaker (5 consecutive outages open it for
 * 5 s) and its cached secret live as long as the container.
 */
export function paymentProcessor(): PaymentProcessor {
  if (!processor) {
    const config = processorClientConfig();
    const secret = new CachedSecret({ client: new SecretsManagerClient({}), secretId: config.secretArn });
    processor = new HttpPaymentProcessor({
      baseUrl: config.baseUrl,
      secret: () => secret.value(),
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      breaker: new CircuitBreaker({ name: 'payment processor', failureThreshold: 5, coolDownMs: 5_000 }),
    });
  }
  return processor;
}

let velocity: PaymentVelocity | undefined;

/** Payer velocity counters on DynamoDB. */
export function paymentVelocity(): PaymentVelocity {
  velocity ??= new DynamoDbPaymentVelocity({
    client: dynamoDbClient(),
    tableName: riskConfig().velocityTableName,
  });
  return velocity;
}

/** The default risk limits: 1,000,000 minor units per payment; 20 payments per payer in 10 minutes. */
export const DEFAULT_RISK_POLICY: RiskPolicy = {
  default: { maxAmount: 1_000_000, maxPaymentsPerPayer: 20, velocityWindowSeconds: 600 },
};

let policy: RiskPolicy | undefined;

/** The limits of a tenant: RISK_POLICY (JSON) when set, else the defaults. */
export function riskLimits(tenantId: string): RiskLimits {
  if (!policy) {
    const json = riskConfig().policyJson;
    policy = json ? (JSON.parse(json) as RiskPolicy) : DEFAULT_RISK_POLICY;
  }
  return limitsFor(policy, tenantId);
}

/**
 * Every payment writes the tenant's clearing account (and a merchant's account takes many payments),
 * so a task meets more conflicts than an API command; nobody waits on it, so it tries harder before
 * leaving the conflict to the state machine's own retry.
 */
export const SAGA_CONFLICT_ATTEMPTS = 4 * MAX_COMMAND_ATTEMPTS;

/** What every saga task receives: ids only (plus the caught error on the compensation path). */
export interface SagaInput {
  readonly tenantId: string;
  readonly paymentId: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** What a task returns: ids and the status reached (the ASL discards it: ResultPath null). */
export interface SagaOutput {
  readonly paymentId: string;
  readonly status: PaymentState['status'];
}

/**
 * A saga task: validates the ids, runs one payment command with bounded conflict retries, and
 * returns ids. Errors propagate with their class name as the Lambda `errorType`, which is the
 * `Error` the state machine's Retry and Catch match on.
 */
export function sagaTask(
  step: string,
  run: (ports: LedgerPorts, ctx: CommandContext, input: SagaInput) => Promise<PaymentState>,
): (event: SagaInput) => Promise<SagaOutput> {
  return async (event) => {
    if (typeof event?.tenantId !== 'string' || typeof event.paymentId !== 'string') {
      throw new TypeError(`${step}: the input must carry tenantId and paymentId`);
    }
    const ctx: CommandContext = {
      tenantId: event.tenantId,
      correlationId: event.paymentId,
      causationId: `saga:${step}`,
      actor: 'saga:payment-settlement',
    };
    const payment = await retryOnConflict(() => run(ledgerPorts(), ctx, event), {
      maxAttempts: SAGA_CONFLICT_ATTEMPTS,
      wait: conflictBackoff,
    });
    return { paymentId: payment.id, status: payment.status };
  };
}
