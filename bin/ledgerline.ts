import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LedgerlineStack } from '../lib/ledgerline-stack.ts';

const app = new App();
// `-c ledgerline:stage=prod` (what `npm run deploy` passes) is production; anything else, and no
// value (`cdk synth`, `npm start`), is a development stage, whose merchants may register
// http://127.0.0.1 webhook URLs for test servers.
const stage = String(app.node.tryGetContext('ledgerline:stage') ?? 'dev');
new LedgerlineStack(app, 'Ledgerline', {
  // Environment-agnostic unless the CLI resolved an account and region from the profile.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  allowLoopbackWebhookUrls: stage !== 'prod',
});
// An unacknowledged finding fails synth (CDK policy validation, exit code 1).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
