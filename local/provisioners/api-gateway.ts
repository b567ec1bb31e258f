import { apiGatewayValues } from '../api-model.ts';
import type { PropertyRules } from '../template.ts';
import type { Provisioner } from './provisioner.ts';

/**
 * API Gateway resources only get their generated ids here; the served API is built from all of them
 * together once everything exists (`buildApiModel`).
 */
function apiResource(properties: PropertyRules): Provisioner {
  return {
    properties,
    provision: (r, ctx) => apiGatewayValues(ctx.stackName, r, (v, at) => ctx.values.resolve(v, at)),
  };
}

const OPENAPI = 'OpenAPI-defined APIs are not supported locally';

/** The REST API, its resources, methods, stage, keys, usage plans and authorizers. */
export const apiGatewayProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::ApiGateway::RestApi': apiResource({
    allowed: [
      'Name',
      'ApiKeySourceType',
      'Description',
      'EndpointConfiguration',
      'Policy',
      'DisableExecuteApiEndpoint',
      'MinimumCompressionSize',
      'Tags',
      'FailOnWarnings',
      'Parameters',
      'Mode',
    ],
    unsupported: {
      Body: OPENAPI,
      BodyS3Location: OPENAPI,
      CloneFrom: 'cloned APIs are not supported locally',
      BinaryMediaTypes: 'binary media types are not emulated',
    },
  }),
  'AWS::ApiGateway::Resource': apiResource({ allowed: ['ParentId', 'PathPart', 'RestApiId'] }),
  'AWS::ApiGateway::Method': apiResource({
    allowed: [
      'HttpMethod',
      'ResourceId',
      'RestApiId',
      'AuthorizationType',
      'AuthorizerId',
      'ApiKeyRequired',
      'Integration',
      'RequestParameters',
      'MethodResponses',
      'OperationName',
      'AuthorizationScopes',
    ],
    unsupported: {
      RequestValidatorId: 'request validation is not emulated',
      RequestModels: 'request models are not emulated',
    },
  }),
  'AWS::ApiGateway::Stage': apiResource({
    allowed: [
      'StageName',
      'RestApiId',
      'DeploymentId',
      'Variables',
      'MethodSettings',
      'TracingEnabled',
      'Description',
      'AccessLogSetting',
      'CacheClusterEnabled',
      'CacheClusterSize',
      'Tags',
      'ClientCertificateId',
      'DocumentationVersion',
      'CanarySetting',
    ],
  }),
  'AWS::ApiGateway::ApiKey': apiResource({
    allowed: [
      'Enabled',
      'Value',
      'Name',
      'StageKeys',
      'Description',
      'Tags',
      'GenerateDistinctId',
      'CustomerId',
    ],
  }),
  'AWS::ApiGateway::UsagePlan': apiResource({
    allowed: ['ApiStages', 'Throttle', 'Quota', 'UsagePlanName', 'Description', 'Tags'],
  }),
  'AWS::ApiGateway::UsagePlanKey': apiResource({ allowed: ['KeyId', 'KeyType', 'UsagePlanId'] }),
  'AWS::ApiGateway::Authorizer': apiResource({
    allowed: [
      'Type',
      'AuthorizerUri',
      'IdentitySource',
      'AuthorizerResultTtlInSeconds',
      'Name',
      'RestApiId',
      'IdentityValidationExpression',
      'AuthorizerCredentials',
    ],
    unsupported: { ProviderARNs: 'Cognito authorizers are not emulated' },
  }),
};
