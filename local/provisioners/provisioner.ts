import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StackAssembly } from '../cloud-assembly.ts';
import { TemplateError } from '../errors.ts';
import { physicalName } from '../naming.ts';
import type { PlannedSchedule } from '../schedule-runner.ts';
import type { LocalServices } from '../services.ts';
import type { PlannedResource, ResourceRules } from '../template.ts';
import type { ResourceValues, StackValues } from '../values.ts';

/** An event source mapping with resolved properties; its poller starts once everything else exists. */
export interface PlannedMapping {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly functionName: string;
}

/** A queue of the stack, as event source mappings and on-failure destinations need it. */
export interface LocalQueue {
  readonly url: string;
  readonly name: string;
  readonly visibilityTimeout: number;
}

/** What provisioning leaves for the event source pollers. */
export interface World {
  readonly mappings: PlannedMapping[];
  /** Table name by stream ARN. */
  readonly streams: Map<string, string>;
  /** Queues by ARN. */
  readonly queues: Map<string, LocalQueue>;
  /** Enabled schedule rules; they start with the pollers. */
  readonly schedules: PlannedSchedule[];
}

/** Everything a provisioner may use: the stack, the running services, and the world built so far. */
export interface ProvisionContext {
  readonly stackName: string;
  readonly region: string;
  readonly assembly: StackAssembly;
  readonly values: StackValues;
  readonly services: LocalServices;
  /** A client of DynamoDB Local while resources are built, if it runs. */
  readonly dynamoClient: DynamoDBClient | undefined;
  /** Functions that only serve CDK's own custom resources (e.g. log retention): never app code. */
  readonly providers: ReadonlySet<string>;
  readonly world: World;
  readonly log: (line: string) => void;
}

/**
 * Builds one CloudFormation resource type locally (or skips it, giving only the values references need)
 * and returns its `Ref` and `Fn::GetAtt` values. Adding a resource type means adding one provisioner.
 */
export type Provisioner = ResourceRules & {
  provision(r: PlannedResource, ctx: ProvisionContext): ResourceValues | Promise<ResourceValues>;
};

/** Throws the {@link TemplateError} that names the resource. */
export function fail(r: PlannedResource, message: string): never {
  throw new TemplateError(r.logicalId, r.type, message);
}

/** One property, resolved against the stack; undefined when the template leaves it out. */
export function property<T = unknown>(
  ctx: ProvisionContext,
  r: PlannedResource,
  name: string,
): T | undefined {
  return r.properties[name] === undefined
    ? undefined
    : ctx.values.resolve<T>(r.properties[name], `${r.logicalId}.${name}`);
}

/** Every property, resolved against the stack. */
export function resolvedProperties(ctx: ProvisionContext, r: PlannedResource): Record<string, unknown> {
  return ctx.values.resolve<Record<string, unknown>>(r.properties, r.logicalId);
}

/** The name the template gives in `nameProperty`, else the one CloudFormation would invent. */
export function resourceName(
  ctx: ProvisionContext,
  r: PlannedResource,
  nameProperty: string,
  maxLength: number,
): string {
  return property<string>(ctx, r, nameProperty) ?? physicalName(ctx.stackName, r.logicalId, maxLength);
}
