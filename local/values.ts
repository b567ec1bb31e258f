import type { CfnTemplate } from './cloud-assembly.ts';
import { LocalRuntimeError } from './errors.ts';
import { type ResolveContext, resolveValue } from './intrinsics.ts';
import { LOCAL_ACCOUNT_ID } from './naming.ts';

/** `Ref` and `Fn::GetAtt` values of one resource. */
export interface ResourceValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The resolution context of a running stack: values are registered as resources are built. */
export class StackValues implements ResolveContext {
  readonly pseudo: Readonly<Record<string, string>>;
  readonly mappings: CfnTemplate['Mappings'];
  readonly #values = new Map<string, ResourceValues & { type: string }>();
  readonly #template: CfnTemplate;
  readonly #conditions = new Map<string, boolean>();

  constructor(template: CfnTemplate, stackName: string, region: string) {
    this.#template = template;
    this.mappings = template.Mappings;
    this.pseudo = {
      'AWS::Region': region,
      'AWS::AccountId': LOCAL_ACCOUNT_ID,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/local`,
    };
  }

  /** Makes `logicalId` resolvable. */
  register(logicalId: string, type: string, values: ResourceValues): void {
    this.#values.set(logicalId, { ...values, type });
  }

  /** The registered values of `logicalId`, if any. */
  get(logicalId: string): (ResourceValues & { type: string }) | undefined {
    return this.#values.get(logicalId);
  }

  ref(logicalId: string, at: string): unknown {
    const values = this.#values.get(logicalId);
    if (values) return values.ref;
    const parameter = this.#template.Parameters?.[logicalId];
    if (parameter) {
      if (parameter.Default !== undefined) return parameter.Default;
      throw new LocalRuntimeError(`${at}: parameter ${logicalId} has no Default and cannot be set locally`);
    }
    throw new LocalRuntimeError(`${at}: Ref ${logicalId} is not available (unknown or not built yet)`);
  }

  getAtt(logicalId: string, attribute: string, at: string): unknown {
    const values = this.#values.get(logicalId);
    if (!values)
      throw new LocalRuntimeError(`${at}: Fn::GetAtt ${logicalId}.${attribute}: resource not available`);
    const value = values.attributes[attribute];
    if (value === undefined) {
      throw new LocalRuntimeError(
        `${at}: Fn::GetAtt ${logicalId}.${attribute} is not supported locally for ${values.type} ` +
          `(known: ${Object.keys(values.attributes).join(', ') || 'none'})`,
      );
    }
    return value;
  }

  condition(name: string, at: string): boolean {
    const known = this.#conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.#template.Conditions?.[name];
    if (definition === undefined) throw new LocalRuntimeError(`${at}: unknown condition ${name}`);
    const value = resolveValue(definition, this, `Conditions.${name}`) === true;
    this.#conditions.set(name, value);
    return value;
  }

  /** Resolves `value` found at `at` (e.g. `MyFn.Properties.Environment`). */
  resolve<T = unknown>(value: unknown, at: string): T {
    return resolveValue(value, this, at) as T;
  }
}
