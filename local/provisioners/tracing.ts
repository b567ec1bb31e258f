import type { Provisioner } from './provisioner.ts';

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
}

/**
 * A function provisioner whose functions run with Powertools tracing off unless the template says
 * otherwise: there is no X-Ray daemon locally, and a Tracer left on would try to reach one on every
 * call. `TracingConfig: Active` is accepted. With tracing off our functions do not load the Tracer, nor
 * the X-Ray SDK it imports (`lambdas/shared/tracing.ts`). Should anything load the SDK all the same, it
 * starts in manual mode: in its default automatic mode it enables cls-hooked's async hooks at import, and
 * every promise then pays for init and destroy tracking. Manual mode alone is not enough in a Lambda
 * environment (its Lambda start-up asks for the namespace, which enables the hooks), and that start-up logs
 * an error stack at every cold start: `AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR` keeps it out of the logs.
 */
export function withoutTracing(functions: Provisioner | undefined): Provisioner {
  if (!functions) throw new Error('withoutTracing needs the function provisioner');
  return {
    ...functions,
    provision(r, ctx) {
      const environment = record(r.properties.Environment);
      const given = { POWERTOOLS_TRACE_ENABLED: 'false', ...record(environment.Variables) };
      const manual =
        given.POWERTOOLS_TRACE_ENABLED === 'false'
          ? { AWS_XRAY_MANUAL_MODE: 'true', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' }
          : {};
      const variables = { ...manual, ...given };
      return functions.provision(
        { ...r, properties: { ...r.properties, Environment: { ...environment, Variables: variables } } },
        ctx,
      );
    },
  };
}
