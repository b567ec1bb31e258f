import type { CfnTemplate, StackAssembly } from '../../../local/cloud-assembly.ts';
import { provisionStack } from '../../../local/provisioners/provision-stack.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import type { LocalServices } from '../../../local/services.ts';
import { planStack } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

/** Plans and provisions `template` as stack `App` on the given services (the S3 tests' fauxqs); returns its values and log. */
export async function provisionApp(template: CfnTemplate, services: Partial<LocalServices>, region: string) {
  const assembly: StackAssembly = {
    stackName: 'App',
    directory: '/nowhere',
    template,
    assetPath: () => undefined,
  };
  const values = new StackValues(template, 'App', region);
  const plan = planStack(assembly, (name, at) => values.condition(name, at), PROVISIONERS);
  const logs: string[] = [];
  await provisionStack(plan, PROVISIONERS, {
    stackName: 'App',
    region,
    assembly,
    values,
    services: { dynamo: undefined, ...services } as LocalServices,
    providers: new Set(),
    log: (line) => logs.push(line),
  });
  return { values, logs };
}
