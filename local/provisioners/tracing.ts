import type { Provisioner } from './provisioner.ts';

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
}

/**
 * A function provisioner whose functions run with Powertools tracing off unless the template says
 * otherwise: there is no X-Ray daemon locally, and a Tracer left on would try to reach one on every
 * call. `TracingConfig: Active` is accepted; its tracing costs nothing locally.
 */
export function withoutTracing(functions: Provisioner | undefined): Provisioner {
  if (!functions) throw new Error('withoutTracing needs the function provisioner');
  return {
    ...functions,
    provision(r, ctx) {
      const environment = record(r.properties.Environment);
      const variables = { POWERTOOLS_TRACE_ENABLED: 'false', ...record(environment.Variables) };
      return functions.provision(
        { ...r, properties: { ...r.properties, Environment: { ...environment, Variables: variables } } },
        ctx,
      );
    },
  };
}
