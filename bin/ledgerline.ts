import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LedgerlineStack, PRODUCTION_STAGE } from '../lib/ledgerline-stack.ts';
import { stageFromContext } from '../lib/stage.ts';

const app = new App();
// `-c ledgerline:stage=<name>` names the stage (`npm run deploy -- --stage <name>` passes it). Without it, cdk.json's
// `ledgerline:defaultStage` (dev) serves `cdk synth` and the local runtime, and the template cannot be
// deployed: `cdk deploy` then fails on the StageNotGiven parameter (see LedgerlineStack).
const settings = stageFromContext((key) => app.node.tryGetContext(key));
if ('error' in settings) {
  console.error(settings.error);
  process.exit(1);
}
const { stage, explicit, processorUrl } = settings;
new LedgerlineStack(app, 'Ledgerline', {
  // Environment-agnostic unless the CLI resolved an account and region from the profile.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  stage,
  processorUrl,
  deployable: explicit,
  // A development stage's merchants may register http://127.0.0.1 URLs for test servers.
  allowLoopbackWebhookUrls: stage !== PRODUCTION_STAGE,
});
// An unacknowledged finding fails synth (CDK policy validation, exit code 1).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
