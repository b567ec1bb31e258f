import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LedgerlineStack } from '../lib/ledgerline-stack.ts';

const app = new App();
new LedgerlineStack(app, 'Ledgerline', {
  // Environment-agnostic unless the CLI resolved an account and region from the profile.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// An unacknowledged finding fails synth (CDK policy validation, exit code 1).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
