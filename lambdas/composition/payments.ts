import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
import { type ProcessorClientConfig, processorClientConfig, riskConfig } from '../shared/config.ts';
import { dynamoDbClient, perContainer, secretsManagerClient } from './container.ts';

/**
 * The processor client: its circuit breaker (5 consecutive outages open it for 5 s) and its cached
 * secret live as long as the client, so build it once per container.
 */
export function buildPaymentProcessor(
  secrets: SecretsManagerClient,
  config: ProcessorClientConfig,
): PaymentProcessor {
  const secret = new CachedSecret({ client: secrets, secretId: config.secretArn });
  return new HttpPaymentProcessor({
    baseUrl: config.baseUrl,
    secret: () => secret.value(),
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    breaker: new CircuitBreaker({ name: 'payment processor', failureThreshold: 5, coolDownMs: 5_000 }),
  });
}

/** This container's processor client (saga capture/refund tasks and the refunds route). */
export const paymentProcessor = perContainer(() =>
  buildPaymentProcessor(secretsManagerClient(), processorClientConfig()),
);

/** Payer velocity counters on DynamoDB. */
export const paymentVelocity = perContainer(
  (): PaymentVelocity =>
    new DynamoDbPaymentVelocity({ client: dynamoDbClient(), tableName: riskConfig().velocityTableName }),
);

/** The default risk limits: 1,000,000 minor units per payment; 20 payments per payer in 10 minutes. */
export const DEFAULT_RISK_POLICY: RiskPolicy = {
  default: { maxAmount: 1_000_000, maxPaymentsPerPayer: 20, velocityWindowSeconds: 600 },
};

/** The risk policy: RISK_POLICY (JSON) when set, else the defaults. */
export const riskPolicy = perContainer((): RiskPolicy => {
  const json = riskConfig().policyJson;
  return json ? (JSON.parse(json) as RiskPolicy) : DEFAULT_RISK_POLICY;
});

/** The limits of a tenant under this container's policy. */
export function riskLimits(tenantId: string): RiskLimits {
  return limitsFor(riskPolicy(), tenantId);
}
