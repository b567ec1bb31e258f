import { existsSync, readFileSync } from 'node:fs';
import { bindTasks, substitute } from '../asl.ts';
import { arns } from '../naming.ts';
import type { StateMachineSpec } from '../step-functions.ts';
import type { PlannedResource } from '../template.ts';
import { fail, type ProvisionContext, type Provisioner, property, resourceName } from './provisioner.ts';

/** The definition's text: from its asset file, inline text, or inline object. */
function definitionSource(r: PlannedResource, ctx: ProvisionContext): string {
  const location = property<{ Key?: string }>(ctx, r, 'DefinitionS3Location');
  const inline = property<string>(ctx, r, 'DefinitionString');
  const object = property<unknown>(ctx, r, 'Definition');
  if (location) {
    const file = location.Key ? ctx.assembly.assetPath(location.Key) : undefined;
    if (!file || !existsSync(file))
      return fail(r, `definition asset ${location.Key ?? '(none)'} is not in the cloud assembly`);
    return readFileSync(file, 'utf8');
  }
  if (inline !== undefined) return inline;
  if (object !== undefined) return JSON.stringify(object);
  return fail(r, 'the state machine has no definition');
}

/** The definition with its substitutions applied and its tasks bound to functions of the stack. */
function stateMachineSpec(
  r: PlannedResource,
  name: string,
  arn: string,
  ctx: ProvisionContext,
): StateMachineSpec {
  const text = definitionSource(r, ctx);
  const substitutions = property<Record<string, unknown>>(ctx, r, 'DefinitionSubstitutions') ?? {};
  const definitionText = substitute(
    text,
    Object.fromEntries(Object.entries(substitutions).map(([k, v]) => [k, String(v)])),
  );
  let definition: Record<string, unknown>;
  try {
    definition = JSON.parse(definitionText) as Record<string, unknown>;
  } catch (error) {
    definition = fail(r, `definition is not JSON after substitutions: ${String(error)}`);
  }
  const tasks = bindTasks(definition, r.logicalId, (fn) => ctx.services.pool.find(fn) !== undefined);
  const type = String(property(ctx, r, 'StateMachineType') ?? 'STANDARD');
  if (type !== 'STANDARD' && type !== 'EXPRESS') return fail(r, `StateMachineType ${type} is not supported`);
  const roleArn = property<string>(ctx, r, 'RoleArn');
  return {
    logicalId: r.logicalId,
    name,
    arn,
    type,
    definitionText,
    tasks,
    ...(roleArn ? { roleArn } : {}),
  };
}

/** `AWS::StepFunctions::StateMachine`: a machine of the local Step Functions endpoint. */
export const stateMachineProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::StepFunctions::StateMachine': {
    properties: {
      allowed: [
        'DefinitionS3Location',
        'DefinitionString',
        'Definition',
        'DefinitionSubstitutions',
        'StateMachineName',
        'StateMachineType',
        'RoleArn',
        'TracingConfiguration',
        'LoggingConfiguration',
        'Tags',
        'EncryptionConfiguration',
      ],
    },
    provision(r, ctx) {
      const name = resourceName(ctx, r, 'StateMachineName', 80);
      const arn = arns.stateMachine(ctx.region, name);
      ctx.services.sfn.register(stateMachineSpec(r, name, arn, ctx));
      return { ref: arn, attributes: { Arn: arn, Name: name, StateMachineRevisionId: 'INITIAL' } };
    },
  },
};
