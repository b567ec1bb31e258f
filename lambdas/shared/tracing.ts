import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The one Powertools Tracer of a function. On AWS (X-Ray active tracing) it opens a subsegment per
 * handler and per captured SDK call; it switches itself off where there is no X-Ray (no
 * `AWS_EXECUTION_ENV`, or `POWERTOOLS_TRACE_ENABLED=false`, which the local runtime sets), and then
 * `captureAWSv3Client` hands the client back untouched: tracing costs nothing there.
 */
export const tracer = new Tracer();
