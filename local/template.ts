import type { CfnResource, StackAssembly } from './cloud-assembly.ts';
import { dependencies, topologicalOrder } from './dependency-graph.ts';
import { TemplateError } from './errors.ts';

/** The properties a built resource type accepts. */
export interface PropertyRules {
  /** Properties the local runtime reads or knowingly does not need (tags, encryption, tracing, ...). */
  readonly allowed: readonly string[];
  /** Properties that change behaviour in a way the local runtime does not emulate: a clear error. */
  readonly unsupported?: Readonly<Record<string, string>>;
}

/**
 * What the local runtime does with a resource type: build it (accepting these properties), or skip it
 * because it has no local meaning (permissions, logging, alarms, deployment bookkeeping), with the reason.
 */
export type ResourceRules = { readonly properties: PropertyRules } | { readonly skipped: string };

/** A resource that takes part in the local world. */
export interface PlannedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  /** `skipped`: exists only so references to it resolve. */
  readonly role: 'build' | 'skipped';
}

/** Checks a resource against the rules of its type; throws a {@link TemplateError} on the first problem. */
export function validateResource(
  logicalId: string,
  resource: CfnResource,
  types: Readonly<Record<string, ResourceRules>>,
): 'build' | 'skipped' {
  const known = Object.hasOwn(types, resource.Type) ? types[resource.Type] : undefined;
  if (!known) {
    throw new TemplateError(logicalId, resource.Type, 'resource type is not supported by the local runtime');
  }
  if ('skipped' in known) return 'skipped';
  const rules = known.properties;
  for (const property of Object.keys(resource.Properties ?? {})) {
    const reason = rules.unsupported?.[property];
    if (reason)
      throw new TemplateError(logicalId, resource.Type, `property ${property} is not supported: ${reason}`);
    if (!rules.allowed.includes(property)) {
      throw new TemplateError(
        logicalId,
        resource.Type,
        `property ${property} is not supported by the local runtime`,
      );
    }
  }
  return 'build';
}

/**
 * Validates the stack against the rules of each type and orders its resources by dependency. Resources
 * whose `Condition` is false are left out; `isConditionTrue` evaluates the template's conditions.
 */
export function planStack(
  assembly: StackAssembly,
  isConditionTrue: (name: string, at: string) => boolean,
  types: Readonly<Record<string, ResourceRules>>,
): PlannedResource[] {
  const resources = assembly.template.Resources ?? {};
  const parameters = new Set(Object.keys(assembly.template.Parameters ?? {}));
  const order = topologicalOrder(dependencies(resources, parameters));
  const planned: PlannedResource[] = [];
  for (const logicalId of order) {
    const resource = resources[logicalId] as CfnResource;
    if (resource.Type === 'AWS::CDK::Metadata') continue;
    const role = validateResource(logicalId, resource, types);
    if (resource.Condition && !isConditionTrue(resource.Condition, `${logicalId}.Condition`)) continue;
    planned.push({ logicalId, type: resource.Type, properties: resource.Properties ?? {}, role });
  }
  return planned;
}
