import { TemplateError } from './errors.ts';
import { functionNameFromArnOrName, stableId } from './naming.ts';
import type { PlannedResource } from './template.ts';
import {
  type ApiLimits,
  planMethodThrottles,
  quotaFromTemplate,
  stageThrottles,
  throttleFromTemplate,
  type UsagePlanLimits,
} from './throttle.ts';
import type { StackValues } from './values.ts';

/** What a method's integration does. */
export type Integration =
  | { readonly kind: 'lambda'; readonly functionName: string }
  | {
      readonly kind: 'mock';
      readonly statusCode: number;
      readonly headers: Record<string, string>;
      readonly body: string;
    };

/** A Lambda authorizer (`AuthorizationType: CUSTOM`). */
export interface AuthorizerSpec {
  readonly id: string;
  readonly logicalId: string;
  readonly type: 'REQUEST' | 'TOKEN';
  readonly functionName: string;
  /** `method.request.header.x` / `method.request.querystring.x` entries. */
  readonly identitySources: readonly string[];
  readonly ttlSeconds: number;
  readonly validationExpression?: string;
}

/** One method on one resource. */
export interface ApiRoute {
  readonly logicalId: string;
  readonly resourceId: string;
  /** Resource path template, e.g. `/accounts/{id}`. */
  readonly path: string;
  readonly method: string;
  readonly apiKeyRequired: boolean;
  readonly authorizer?: AuthorizerSpec;
  readonly integration: Integration;
}

/** An API key the local gateway accepts. */
export interface ApiKey {
  readonly id: string;
  readonly value: string;
  readonly name: string;
  readonly source: 'template' | 'env' | 'dev';
  readonly enabled: boolean;
  /** false for template keys no usage plan links to the served stage: API Gateway refuses them. */
  readonly validForStage: boolean;
  /** The usage plan that meters the key on the served stage (keys from outside the template: the first). */
  readonly planId?: string;
}

/** The REST API as served locally. */
export interface ApiModel {
  readonly restApiId: string;
  readonly name: string;
  readonly stageName: string;
  readonly stageVariables: Readonly<Record<string, string>> | null;
  readonly apiKeySource: 'HEADER' | 'AUTHORIZER';
  readonly routes: readonly ApiRoute[];
  readonly keys: readonly ApiKey[];
  /** The stage's throttles and its usage plans' throttles and quotas (local/throttle.ts enforces them). */
  readonly limits?: ApiLimits;
  /** The usage plans that hold the served stage (keys created at run time join them). */
  readonly stageUsagePlanIds?: readonly string[];
  /** Things API Gateway would do that are not emulated, to print at start. */
  readonly notices: readonly string[];
}

/** Ref/GetAtt values of an API Gateway resource: generated ids, stable per stack and logical id. */
export function apiGatewayValues(
  stackName: string,
  resource: PlannedResource,
  resolve: <T>(value: unknown, at: string) => T,
): { ref: string; attributes: Record<string, string> } {
  const id = stableId(`${stackName}/${resource.logicalId}`);
  switch (resource.type) {
    case 'AWS::ApiGateway::RestApi':
      return { ref: id, attributes: { RootResourceId: stableId(`${stackName}/${resource.logicalId}/root`) } };
    case 'AWS::ApiGateway::Stage':
      return {
        ref: resolve<string>(resource.properties.StageName, `${resource.logicalId}.StageName`),
        attributes: {},
      };
    case 'AWS::ApiGateway::ApiKey':
      return { ref: id, attributes: { APIKeyId: id } };
    case 'AWS::ApiGateway::Authorizer':
      return { ref: id, attributes: { AuthorizerId: id } };
    case 'AWS::ApiGateway::Resource':
      return { ref: id, attributes: { ResourceId: id } };
    default:
      return { ref: id, attributes: {} };
  }
}

function lambdaFromUri(uri: string, logicalId: string, type: string): string {
  const match = /functions\/(.+)\/(?:response-streaming-)?invocations$/.exec(uri);
  if (!match?.[1])
    throw new TemplateError(logicalId, type, `integration URI is not a Lambda function: ${uri}`);
  return functionNameFromArnOrName(match[1]);
}

function unquote(value: string): string {
  return value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1) : value;
}

/** Builds the served API from the template's API Gateway resources; one REST API and one stage. */
export function buildApiModel(input: {
  stackName: string;
  resources: readonly PlannedResource[];
  values: StackValues;
  extraKeys: readonly ApiKey[];
  generatedKeyValue: (logicalId: string) => string;
}): ApiModel | undefined {
  const { resources, values } = input;
  const of = (type: string) => resources.filter((r) => r.type === `AWS::ApiGateway::${type}`);
  const resolve = <T>(value: unknown, at: string): T => values.resolve<T>(value, at);
  const apis = of('RestApi');
  if (apis.length === 0) return undefined;
  const [api, ...others] = apis;
  if (!api || others.length > 0) {
    throw new TemplateError(
      others[0]?.logicalId ?? '',
      'AWS::ApiGateway::RestApi',
      'only one REST API per stack is served locally',
    );
  }
  const apiId = values.ref(api.logicalId, api.logicalId) as string;
  const rootId = values.getAtt(api.logicalId, 'RootResourceId', api.logicalId) as string;

  const stages = of('Stage');
  const [stage, ...moreStages] = stages;
  if (moreStages.length > 0) {
    throw new TemplateError(
      moreStages[0]?.logicalId ?? '',
      'AWS::ApiGateway::Stage',
      'only one stage is served locally',
    );
  }
  const stageName = stage
    ? resolve<string>(stage.properties.StageName, `${stage.logicalId}.StageName`)
    : 'local';
  const stageVariables = stage?.properties.Variables
    ? resolve<Record<string, string>>(stage.properties.Variables, `${stage.logicalId}.Variables`)
    : null;
  const notices: string[] = [];

  const paths = new Map<string, string>([[rootId, '/']]);
  const parents = new Map<string, { parentId: string; part: string }>();
  for (const r of of('Resource')) {
    const id = values.ref(r.logicalId, r.logicalId) as string;
    parents.set(id, {
      parentId: resolve<string>(r.properties.ParentId, `${r.logicalId}.ParentId`),
      part: resolve<string>(r.properties.PathPart, `${r.logicalId}.PathPart`),
    });
  }
  const pathOf = (id: string, seen: string[] = []): string => {
    const known = paths.get(id);
    if (known) return known;
    const entry = parents.get(id);
    if (!entry || seen.includes(id))
      throw new TemplateError(id, 'AWS::ApiGateway::Resource', 'broken ParentId chain');
    const parentPath = pathOf(entry.parentId, [...seen, id]);
    const path = `${parentPath === '/' ? '' : parentPath}/${entry.part}`;
    paths.set(id, path);
    return path;
  };

  const authorizers = new Map<string, AuthorizerSpec>();
  for (const a of of('Authorizer')) {
    const at = a.logicalId;
    const type = resolve<string>(a.properties.Type, `${at}.Type`);
    if (type !== 'REQUEST' && type !== 'TOKEN') {
      throw new TemplateError(
        at,
        'AWS::ApiGateway::Authorizer',
        `authorizer type ${type} is not supported locally`,
      );
    }
    const identity = a.properties.IdentitySource
      ? resolve<string>(a.properties.IdentitySource, `${at}.IdentitySource`)
      : '';
    const id = values.ref(at, at) as string;
    const validation = a.properties.IdentityValidationExpression;
    authorizers.set(id, {
      id,
      logicalId: at,
      type,
      functionName: lambdaFromUri(
        resolve<string>(a.properties.AuthorizerUri, `${at}.AuthorizerUri`),
        at,
        a.type,
      ),
      identitySources: identity
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ttlSeconds: Number(a.properties.AuthorizerResultTtlInSeconds ?? 300),
      ...(validation
        ? { validationExpression: resolve<string>(validation, `${at}.IdentityValidationExpression`) }
        : {}),
    });
  }

  const routes: ApiRoute[] = [];
  for (const m of of('Method')) {
    const at = m.logicalId;
    const p = m.properties;
    const resourceId = resolve<string>(p.ResourceId, `${at}.ResourceId`);
    const authorization = String(p.AuthorizationType ?? 'NONE');
    let authorizer: AuthorizerSpec | undefined;
    if (authorization === 'CUSTOM') {
      authorizer = authorizers.get(resolve<string>(p.AuthorizerId, `${at}.AuthorizerId`));
      if (!authorizer)
        throw new TemplateError(at, m.type, 'CUSTOM authorization without a known AuthorizerId');
    } else if (authorization !== 'NONE') {
      throw new TemplateError(at, m.type, `AuthorizationType ${authorization} is not supported locally`);
    }
    const integration = resolve<Record<string, unknown>>(p.Integration ?? {}, `${at}.Integration`);
    let target: Integration;
    if (integration.Type === 'AWS_PROXY') {
      target = { kind: 'lambda', functionName: lambdaFromUri(String(integration.Uri), at, m.type) };
    } else if (integration.Type === 'MOCK') {
      const [response] = (integration.IntegrationResponses as Record<string, unknown>[] | undefined) ?? [];
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(
        (response?.ResponseParameters as Record<string, string>) ?? {},
      )) {
        const name = /^method\.response\.header\.(.+)$/.exec(key)?.[1];
        if (name) headers[name.toLowerCase()] = unquote(String(value));
      }
      const templates = (response?.ResponseTemplates as Record<string, string> | undefined) ?? {};
      target = {
        kind: 'mock',
        statusCode: Number(response?.StatusCode ?? 200),
        headers,
        body: templates['application/json'] ?? '',
      };
    } else {
      throw new TemplateError(
        at,
        m.type,
        `integration type ${String(integration.Type)} is not supported locally`,
      );
    }
    routes.push({
      logicalId: at,
      resourceId,
      path: pathOf(resourceId),
      method: String(p.HttpMethod).toUpperCase(),
      apiKeyRequired: p.ApiKeyRequired === true || p.ApiKeyRequired === 'true',
      ...(authorizer ? { authorizer } : {}),
      integration: target,
    });
  }

  // A key works on a stage when a usage plan containing (api, stage) links it; that plan meters it.
  const plans: UsagePlanLimits[] = of('UsagePlan').flatMap((plan) => {
    const at = plan.logicalId;
    const apiStage = resolve<{ ApiId?: string; Stage?: string; Throttle?: Record<string, unknown> }[]>(
      plan.properties.ApiStages ?? [],
      `${at}.ApiStages`,
    ).find((s) => s.ApiId === apiId && s.Stage === stageName);
    if (!apiStage) return [];
    const throttle = throttleFromTemplate(resolve(plan.properties.Throttle ?? {}, `${at}.Throttle`));
    const quota = quotaFromTemplate(resolve(plan.properties.Quota ?? {}, `${at}.Quota`));
    const methods = planMethodThrottles(apiStage.Throttle);
    return [
      {
        id: values.ref(at, at) as string,
        ...(throttle ? { throttle } : {}),
        ...(quota ? { quota } : {}),
        methods,
      },
    ];
  });
  const planOfKey = new Map<string, string>();
  for (const k of of('UsagePlanKey')) {
    const plan = resolve<string>(k.properties.UsagePlanId, `${k.logicalId}.UsagePlanId`);
    const key = resolve<string>(k.properties.KeyId, `${k.logicalId}.KeyId`);
    if (plans.some((p) => p.id === plan) && !planOfKey.has(key)) planOfKey.set(key, plan);
  }
  const templateKeys: ApiKey[] = of('ApiKey').map((k) => {
    const id = values.ref(k.logicalId, k.logicalId) as string;
    const value = k.properties.Value
      ? resolve<string>(k.properties.Value, `${k.logicalId}.Value`)
      : input.generatedKeyValue(k.logicalId);
    return {
      id,
      value,
      name: k.properties.Name ? resolve<string>(k.properties.Name, `${k.logicalId}.Name`) : k.logicalId,
      source: 'template',
      enabled: k.properties.Enabled !== false && k.properties.Enabled !== 'false',
      validForStage: planOfKey.has(id),
      ...(planOfKey.has(id) ? { planId: planOfKey.get(id) } : {}),
    };
  });
  const [firstPlan] = plans;
  const extraKeys = input.extraKeys.map((k) => (firstPlan && !k.planId ? { ...k, planId: firstPlan.id } : k));

  const apiKeySource = String(api.properties.ApiKeySourceType ?? 'HEADER');
  if (apiKeySource !== 'HEADER' && apiKeySource !== 'AUTHORIZER') {
    throw new TemplateError(api.logicalId, api.type, `ApiKeySourceType ${apiKeySource} is not supported`);
  }
  return {
    restApiId: apiId,
    name: api.properties.Name ? resolve<string>(api.properties.Name, `${api.logicalId}.Name`) : api.logicalId,
    stageName,
    stageVariables,
    apiKeySource,
    routes,
    keys: [...templateKeys, ...extraKeys],
    limits: {
      ...stageThrottles(
        stage ? resolve(stage.properties.MethodSettings ?? [], `${stage.logicalId}.MethodSettings`) : [],
      ),
      plans,
    },
    stageUsagePlanIds: plans.map((p) => p.id),
    notices,
  };
}
