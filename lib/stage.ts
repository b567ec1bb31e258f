/** The CDK context keys the app reads. */
export const STAGE_CONTEXT = 'ledgerline:stage';
/** cdk.json's development default for `cdk synth` and the local runtime: never deployable. */
export const DEFAULT_STAGE_CONTEXT = 'ledgerline:defaultStage';
export const PROCESSOR_URL_CONTEXT = 'ledgerline:processorUrl';

const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** The stage settings of one synth, from the CDK context. */
export interface StageSettings {
  readonly stage: string;
  /** Named with `-c ledgerline:stage=…`; false for cdk.json's default, which cannot be deployed. */
  readonly explicit: boolean;
  readonly processorUrl: string | undefined;
}

/**
 * Reads the stage from the CDK context. `-c ledgerline:stage=<name>` names it; without it, cdk.json's
 * `ledgerline:defaultStage` (dev) serves `cdk synth` and the local runtime, and the stack is marked
 * not deployable (see LedgerlineStack's `deployable`), so a plain `cdk deploy` never ships it.
 */
export function stageFromContext(context: (key: string) => unknown): StageSettings | { error: string } {
  const given = context(STAGE_CONTEXT);
  const fallback = context(DEFAULT_STAGE_CONTEXT);
  const explicit = given !== undefined && given !== null && given !== '';
  const stage = explicit ? given : fallback;
  if (stage === undefined || stage === null || stage === '') {
    return {
      error:
        `No stage given. Deploy with \`npm run deploy -- --stage <name>\` or \`cdk deploy -c ${STAGE_CONTEXT}=<name>\`, ` +
        `e.g. -c ${STAGE_CONTEXT}=dev for a development stage; 'prod' is production ` +
        `(it also needs -c ${PROCESSOR_URL_CONTEXT}=https://…).`,
    };
  }
  if (typeof stage !== 'string' || !STAGE_NAME.test(stage)) {
    return {
      error: `${STAGE_CONTEXT} must be 1-16 lowercase letters, digits or '-', got ${JSON.stringify(stage)}.`,
    };
  }
  const url = context(PROCESSOR_URL_CONTEXT);
  return { stage, explicit, processorUrl: typeof url === 'string' && url !== '' ? url : undefined };
}

/** What differs between a production stage and any other: data lifetime, log retention, alarm sensitivity. */
export interface StageProfile {
  /** The stage that takes real money: no sandbox processor, no loopback webhook URLs. */
  readonly production: boolean;
  /**
   * Whether a stack delete keeps the tables (deletion protection on, DeletionPolicy Retain) and the log groups.
   * A development stage is disposable: `cdk destroy` removes everything it made.
   */
  readonly retainData: boolean;
  /** Days every log group keeps its events; production keeps the longer of this and the construct's own choice. */
  readonly logRetentionDays: number;
  /** When the API pages someone: 5xx answers in percent of requests, and the p99 latency. */
  readonly apiThresholds: { readonly api5xxPercent: number; readonly apiP99LatencyMs: number };
  /**
   * Whether functions keep the reserved concurrency their constructs give them: the unauthenticated
   * processor-webhook receiver (40) and the merchant-notification delivery worker (10) each have a cap and a
   * guarantee of their own, so a flood there cannot starve the account. The tenants' API functions reserve
   * none anywhere: their bound is the stage's API throttle and the tenants' usage plans, and a reservation is
   * also a ceiling, which would cap a hot route (POST /transfers) below what the throttle admits.
   */
  readonly reservedConcurrency: 'as-built' | 'none';
}

/** The stage that is production: no sandbox processor, no loopback webhook URLs, nothing deleted with the stack. */
export const PRODUCTION_STAGE = 'prod';

/** Production keeps everything; every other stage is a disposable development stage. */
export function stageProfile(stage: string): StageProfile {
  return stage === PRODUCTION_STAGE
    ? {
        production: true,
        retainData: true,
        logRetentionDays: 365,
        apiThresholds: { api5xxPercent: 1, apiP99LatencyMs: 1000 },
        reservedConcurrency: 'as-built',
      }
    : {
        production: false,
        retainData: false,
        logRetentionDays: 7,
        // A development stage pages only when it is clearly broken, not on a slow cold start.
        apiThresholds: { api5xxPercent: 5, apiP99LatencyMs: 5000 },
        // None: Lambda refuses a reservation that leaves the account fewer than 100 unreserved executions, and
        // new or sandbox accounts often have a concurrency quota of 10, so a development stage with reservations
        // would not deploy there (and five developers' stages would hold 250 of an account's 1,000). Without
        // them the receiver is still bounded by its method throttle (20 rps) and the worker by its queue
        // mapping's maxConcurrency (5).
        reservedConcurrency: 'none',
      };
}
