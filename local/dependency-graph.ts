import type { CfnResource } from './cloud-assembly.ts';
import { TemplateError } from './errors.ts';
import { referencedIds } from './intrinsics.ts';

/** Each resource's dependencies: `Ref`/`GetAtt`/`Sub` targets in its properties plus `DependsOn`. */
export function dependencies(
  resources: Readonly<Record<string, CfnResource>>,
  parameters: ReadonlySet<string>,
): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const deps = referencedIds(resource.Properties ?? {});
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dep of dependsOn) deps.add(dep);
    for (const dep of deps) {
      if (parameters.has(dep)) deps.delete(dep);
      else if (!(dep in resources))
        throw new TemplateError(id, resource.Type, `references unknown resource ${dep}`);
    }
    graph.set(id, deps);
  }
  return graph;
}

/**
 * Orders resources so each comes after everything it depends on. Fails on a cycle and names it:
 * CloudFormation would too, but `cdk synth` only warns.
 */
export function topologicalOrder(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      throw new TemplateError(id, undefined, `dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of [...(graph.get(id) ?? [])].sort()) visit(dep);
    stack.pop();
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...graph.keys()].sort()) visit(id);
  return order;
}
