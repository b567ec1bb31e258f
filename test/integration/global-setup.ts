// Starts (or finds) the target for the black-box suite once per run and hands it to the tests via provide/inject.
import type { TestProject } from 'vitest/node';
import { resolveTarget } from './target.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const target = await resolveTarget();
  if (target.skipReason) console.log(`SKIPPED: TEST_TARGET=${target.name} — ${target.skipReason}`);
  if (target.name !== 'localstack') {
    console.log(
      "SKIPPED: LocalStack — not this run's target; it needs Docker and LOCALSTACK_AUTH_TOKEN " +
        '(scripts/localstack-deploy.sh, then TEST_TARGET=localstack npm run test:integration)',
    );
  }
  project.provide('apiUrl', target.apiUrl);
  project.provide('apiKey', target.apiKey);
  project.provide('secondApiKey', target.secondApiKey);
  project.provide('targetName', target.name);
  project.provide('skipReason', target.skipReason);
  // Set LEDGERLINE_PROCESSOR_WEBHOOK_SECRET for a deployed target (the value in ProcessorWebhookSecretArn).
  project.provide(
    'processorWebhookSecret',
    target.processorWebhookSecret ?? process.env.LEDGERLINE_PROCESSOR_WEBHOOK_SECRET ?? null,
  );
  project.provide('localRuntime', target.localRuntime ?? null);
  project.provide('paymentsOperator', target.paymentsOperator ?? null);
  return () => target.teardown();
}
