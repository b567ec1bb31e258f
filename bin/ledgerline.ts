import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LedgerlineStack } from '../lib/ledgerline-stack.ts';
import { stageFromContext } from '../lib/stage.ts';

const app = new App();
// The stage is never guessed: `cdk deploy` without `-c ledgerline:stage=<name>` stops here with a
// message. The npm scripts say it explicitly (`npm run deploy` → prod; see the README).
const settings = stageFromContext((key) => app.node.tryGetContext(key));
if ('error' in settings) {
  console.error(settings.error);
  process.exit(1);
}
const { stage, processorUrl } = settings;
new LedgerlineStack(app, 'Ledgerline', {
  // Environment-agnostic unless the CLI resolved an account and region from the profile.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  stage,
  processorUrl,
});
// An unacknowledged finding fails synth (CDK policy validation, exit code 1).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
