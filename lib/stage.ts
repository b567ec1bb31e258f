/** The CDK context keys the app reads. */
export const STAGE_CONTEXT = 'ledgerline:stage';
export const PROCESSOR_URL_CONTEXT = 'ledgerline:processorUrl';

const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** The stage settings of one synth, from the CDK context. */
export interface StageSettings {
  readonly stage: string;
  readonly processorUrl: string | undefined;
}

/**
 * Reads the stage from the CDK context and refuses to guess one: a plain `cdk deploy` (or `cdk synth`)
 * without `-c ledgerline:stage=<name>` fails with this message instead of shipping a development
 * stack. The npm scripts and the local runtime name their stage explicitly.
 */
export function stageFromContext(context: (key: string) => unknown): StageSettings | { error: string } {
  const stage = context(STAGE_CONTEXT);
  if (stage === undefined || stage === null || stage === '') {
    return {
      error:
        `No stage given. Deploy with \`npm run deploy\` (production) or \`cdk deploy -c ${STAGE_CONTEXT}=<name>\`, ` +
        `e.g. -c ${STAGE_CONTEXT}=dev for a development stage; 'prod' is production ` +
        `(it also needs -c ${PROCESSOR_URL_CONTEXT}=https://…). \`npm run synth\` and \`npm start\` pass dev.`,
    };
  }
  if (typeof stage !== 'string' || !STAGE_NAME.test(stage)) {
    return {
      error: `${STAGE_CONTEXT} must be 1-16 lowercase letters, digits or '-', got ${JSON.stringify(stage)}.`,
    };
  }
  const url = context(PROCESSOR_URL_CONTEXT);
  return { stage, processorUrl: typeof url === 'string' && url !== '' ? url : undefined };
}
