import type { Tracer } from '@aws-lambda-powertools/tracer';
import { tracingConfig } from './config.ts';

/**
 * The one Powertools Tracer of a function, or none where tracing is off (`POWERTOOLS_TRACE_ENABLED=false`,
 * which the local runtime sets). On AWS (X-Ray active tracing) it opens a subsegment per handler and per
 * captured SDK call. Off, the Tracer is not even loaded: it imports the X-Ray SDK, whose Lambda start-up
 * enables cls-hooked's async hooks (manual mode or not), and every promise of the function then pays for
 * init and destroy tracking (about 3 % of a payment's Node CPU on the local runtime) for traces nobody sends.
 */
export const tracer: Tracer | undefined = tracingConfig().enabled
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer()
  : undefined;
