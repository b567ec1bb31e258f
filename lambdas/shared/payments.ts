import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CircuitBreaker } from '../adapters/circuit-breaker.ts';
import { DynamoDbPaymentVelocity } from '../adapters/dynamodb-payment-velocity.ts';
import { HttpPaymentProcessor } from '../adapters/http-payment-processor.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import type { PaymentProcessor } from '../domain/payments/processor.ts';
import {
  limitsFor,
  type PaymentVelocity,
  type RiskLimits,
  type RiskPolicy,
} from '../domain/payments/risk.ts';
import { processorClientConfig, riskConfig } from './config.ts';
import { dynamoDbClient } from './ledger.ts';

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
