// The synthesized stack and the template queries the infra tests share.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll } from 'vitest';
import { PROJECT_ROOT } from '../../lib/api-function.ts';
import { LedgerlineStack, routeId } from '../../lib/ledgerline-stack.ts';
import type { ROUTES } from '../../lib/routes.ts';

export type Json = Record<string, unknown>;
export interface Resource {
  readonly Type: string;
  readonly Properties: Json;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export const FORBIDDEN_ON_EVENTS = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
export const WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

let outdir: string;
export let app: App;
export let stack: LedgerlineStack;
export let assembly: CloudAssembly;
export let template: Template;
export let resources: Record<string, Resource>;

/**
 * Synthesizes the stack once for the calling test file (in its beforeAll), as `cdk synth` does, with
 * cdk-nag. Without `bundling` the functions' code is not built: enough for IAM and wiring.
 */
export function synthesizeStack(options: { readonly bundling: boolean }): void {
  beforeAll(() => {
    // The same feature flags as `cdk synth`: they change what the template looks like.
    const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Json };
    outdir = mkdtempSync(join(tmpdir(), 'ledgerline-infra-'));
    app = new App({
      context: options.bundling ? context : { ...context, 'aws:cdk:bundling-stacks': [] },
      outdir,
    });
    stack = new LedgerlineStack(app, 'Ledgerline');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assembly = app.synth(); // throws on an unacknowledged cdk-nag error
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, Resource>;
    // Bundling every function takes minutes on a loaded 2-core machine.
  }, 300_000);
  afterAll(() => {
    if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
  });
}

/** A method's resource path, from its ResourceId up the template's resources (`/accounts/{id}`). */
export const methodPath = (resourceId: unknown): string => {
  if (typeof resourceId !== 'object' || resourceId === null || !('Ref' in resourceId)) return '';
  const props = resource(String(resourceId.Ref)).Properties;
  return `${methodPath(props.ParentId)}/${String(props.PathPart)}`;
};

/** Every API method of the template, as `METHOD /path`. */
export const templateRoutes = (): string[] =>
  ofType('AWS::ApiGateway::Method').map(
    ([, m]) => `${String(m.Properties.HttpMethod)} ${methodPath(m.Properties.ResourceId)}`,
  );

/** The sandbox processor of the (non-production) stack under test. */
export const sandbox = () => {
  if (stack.sandboxProcessor === undefined) throw new Error('the stack under test has no sandbox processor');
  return stack.sandboxProcessor;
};
export const logicalId = (element: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(element.node.defaultChild as CfnElement);
export const ofType = (type: string): [string, Resource][] =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);
/** The one resource of a type; fails when there are none or several. */
export const only = (type: string): [string, Resource] => {
  const found = ofType(type);
  if (found.length !== 1 || found[0] === undefined)
    throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
export const resource = (id: string): Resource => {
  const found = resources[id];
  if (found === undefined) throw new Error(`no resource ${id} in the template`);
  return found;
};
export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
/** IAM action globs (`dynamodb:*`, `dynamodb:Update*`) count as the actions they match. */
export const allows = (statement: Statement, action: string): boolean =>
  actionsOf(statement).some((pattern) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action),
  );
/** A statement touches a table when a resource is `*` or mentions the table's logical id. */
export const touches = (statement: Statement, tableId: string): boolean =>
  (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).some(
    (r) => r === '*' || JSON.stringify(r).includes(`"${tableId}"`),
  );
/** Every Allow statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
export const statementsOfRole = (roleId: string): Statement[] => {
  const inline = (
    (resource(roleId).Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached].filter((s) => s.Effect === 'Allow');
};
/** Only the statements that allow some DynamoDB action (X-Ray's `*` resource is not a table grant). */
export const dynamoStatements = (statements: Statement[]): Statement[] =>
  statements.filter((s) => actionsOf(s).some((a) => a.toLowerCase().startsWith('dynamodb:') || a === '*'));
export const allStatements = (): { roleId: string; statement: Statement }[] =>
  ofType('AWS::IAM::Role').flatMap(([roleId]) =>
    statementsOfRole(roleId).map((statement) => ({ roleId, statement })),
  );
export const routeFunction = (route: (typeof ROUTES)[number]) => {
  const fn = stack.functions.get(routeId(route));
  if (fn === undefined) throw new Error(`no function for ${route.method} ${route.path}`);
  return {
    id: logicalId(fn.function),
    roleId: logicalId(fn.role),
    props: resource(logicalId(fn.function)).Properties,
  };
};
