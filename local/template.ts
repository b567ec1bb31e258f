import type { CfnResource, StackAssembly } from './cloud-assembly.ts';
import { dependencies, topologicalOrder } from './dependency-graph.ts';
import { TemplateError } from './errors.ts';

/** Types that have no local meaning (permissions, logging, alarms, deployment bookkeeping), with the reason. */
export const SKIPPED_TYPES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'no IAM locally',
  'AWS::IAM::Policy': 'no IAM locally',
  'AWS::IAM::ManagedPolicy': 'no IAM locally',
  'AWS::Lambda::Permission': 'no IAM locally',
  'AWS::SQS::QueuePolicy': 'no IAM locally',
  'AWS::Logs::LogGroup': 'function logs go to the console',
  'AWS::CloudWatch::Alarm': 'no metrics locally',
  'AWS::CloudWatch::Dashboard': 'no metrics locally',
  'AWS::CDK::Metadata': 'CDK bookkeeping',
  'AWS::ApiGateway::Deployment': 'the local API serves the template as is',
  'AWS::ApiGateway::Account': 'API Gateway logging role',
  'Custom::LogRetention': 'log retention',
};

interface PropertyRules {
  /** Properties the local runtime reads or knowingly does not need (tags, encryption, tracing, ...). */
  readonly allowed: readonly string[];
  /** Properties that change behaviour in a way the local runtime does not emulate: a clear error. */
  readonly unsupported?: Readonly<Record<string, string>>;
}

const TABLE_COMMON = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'StreamSpecification',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'TimeToLiveSpecification',
  'SSESpecification',
  'Tags',
  'WarmThroughput',
];
const TABLE_UNSUPPORTED = {
  KinesisStreamSpecification: 'Kinesis streams are not emulated',
  ImportSourceSpecification: 'S3 import is not emulated',
};

/** Resource types the local runtime builds, and the properties it accepts for each. */
export const SUPPORTED_TYPES: Readonly<Record<string, PropertyRules>> = {
  'AWS::DynamoDB::Table': {
    allowed: [
      ...TABLE_COMMON,
      'ProvisionedThroughput',
      'PointInTimeRecoverySpecification',
      'DeletionProtectionEnabled',
      'ContributorInsightsSpecification',
      'TableClass',
      'ResourcePolicy',
      'OnDemandThroughput',
    ],
    unsupported: TABLE_UNSUPPORTED,
  },
  'AWS::DynamoDB::GlobalTable': {
    allowed: [
      ...TABLE_COMMON,
      'Replicas',
      'WriteProvisionedThroughputSettings',
      'WriteOnDemandThroughputSettings',
    ],
    unsupported: { ...TABLE_UNSUPPORTED, MultiRegionConsistency: 'multi-region tables are not emulated' },
  },
  'AWS::SQS::Queue': {
    allowed: [
      'QueueName',
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'MaximumMessageSize',
      'ReceiveMessageWaitTimeSeconds',
      'RedrivePolicy',
      'RedriveAllowPolicy',
      'FifoQueue',
      'ContentBasedDeduplication',
      'DeduplicationScope',
      'FifoThroughputLimit',
      'SqsManagedSseEnabled',
      'KmsMasterKeyId',
      'KmsDataKeyReusePeriodSeconds',
      'Tags',
    ],
  },
  'AWS::Lambda::Function': {
    allowed: [
      'Code',
      'Handler',
      'Runtime',
      'Timeout',
      'MemorySize',
      'Environment',
      'FunctionName',
      'ReservedConcurrentExecutions',
      'LoggingConfig',
      'Role',
      'Architectures',
      'Description',
      'Tags',
      'TracingConfig',
      'VpcConfig',
      'KmsKeyArn',
      'EphemeralStorage',
      'RuntimeManagementConfig',
      'DeadLetterConfig',
      'SnapStart',
      'CodeSigningConfigArn',
      'PackageType',
    ],
    unsupported: {
      Layers: 'layers are not loaded locally; bundle the code instead',
      ImageConfig: 'container image functions are not supported locally',
      FileSystemConfigs: 'EFS mounts are not emulated',
    },
  },
  'AWS::Lambda::EventSourceMapping': {
    allowed: [
      'FunctionName',
      'EventSourceArn',
      'Enabled',
      'BatchSize',
      'MaximumBatchingWindowInSeconds',
      'StartingPosition',
      'FilterCriteria',
      'FunctionResponseTypes',
      'BisectBatchOnFunctionError',
      'MaximumRetryAttempts',
      'MaximumRecordAgeInSeconds',
      'DestinationConfig',
      'ScalingConfig',
      'ParallelizationFactor',
      'Tags',
      'MetricsConfig',
      'KmsKeyArn',
    ],
    unsupported: {
      TumblingWindowInSeconds: 'tumbling windows are not emulated',
      StartingPositionTimestamp: 'AT_TIMESTAMP is not emulated',
      SelfManagedEventSource: 'only DynamoDB streams and SQS sources are supported',
      Topics: 'only DynamoDB streams and SQS sources are supported',
      Queues: 'only DynamoDB streams and SQS sources are supported',
      SourceAccessConfigurations: 'only DynamoDB streams and SQS sources are supported',
      ProvisionedPollerConfig: 'provisioned pollers are not emulated',
    },
  },
  'AWS::StepFunctions::StateMachine': {
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
  'AWS::ApiGateway::RestApi': {
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
      Body: 'OpenAPI-defined APIs are not supported locally',
      BodyS3Location: 'OpenAPI-defined APIs are not supported locally',
      CloneFrom: 'cloned APIs are not supported locally',
      BinaryMediaTypes: 'binary media types are not emulated',
    },
  },
  'AWS::Lambda::Url': {
    allowed: ['AuthType', 'TargetFunctionArn', 'Cors', 'InvokeMode'],
    unsupported: { Qualifier: 'function aliases and versions are not emulated' },
  },
  'AWS::SecretsManager::Secret': {
    allowed: ['Name', 'Description', 'GenerateSecretString', 'SecretString', 'KmsKeyId', 'Tags'],
    unsupported: { ReplicaRegions: 'secret replication is not emulated' },
  },
  'AWS::ApiGateway::Resource': { allowed: ['ParentId', 'PathPart', 'RestApiId'] },
  'AWS::ApiGateway::Method': {
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
  },
  'AWS::ApiGateway::Stage': {
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
  },
  'AWS::ApiGateway::ApiKey': {
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
  },
  'AWS::ApiGateway::UsagePlan': {
    allowed: ['ApiStages', 'Throttle', 'Quota', 'UsagePlanName', 'Description', 'Tags'],
  },
  'AWS::ApiGateway::UsagePlanKey': { allowed: ['KeyId', 'KeyType', 'UsagePlanId'] },
  'AWS::ApiGateway::Authorizer': {
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
  },
};

/** A resource that takes part in the local world. */
export interface PlannedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  /** `skipped`: exists only so references to it resolve. */
  readonly role: 'build' | 'skipped';
}

/** Checks every resource against the supported and skipped types; throws a {@link TemplateError} on the first problem. */
export function validateResource(logicalId: string, resource: CfnResource): 'build' | 'skipped' {
  if (resource.Type in SKIPPED_TYPES) return 'skipped';
  const rules = SUPPORTED_TYPES[resource.Type];
  if (!rules) {
    throw new TemplateError(logicalId, resource.Type, 'resource type is not supported by the local runtime');
  }
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
 * Validates the stack and orders its resources by dependency. Resources whose `Condition` is false
 * are left out; `isConditionTrue` evaluates the template's conditions.
 */
export function planStack(
  assembly: StackAssembly,
  isConditionTrue: (name: string, at: string) => boolean,
): PlannedResource[] {
  const resources = assembly.template.Resources ?? {};
  const parameters = new Set(Object.keys(assembly.template.Parameters ?? {}));
  const order = topologicalOrder(dependencies(resources, parameters));
  const planned: PlannedResource[] = [];
  for (const logicalId of order) {
    const resource = resources[logicalId] as CfnResource;
    if (resource.Type === 'AWS::CDK::Metadata') continue;
    const role = validateResource(logicalId, resource);
    if (resource.Condition && !isConditionTrue(resource.Condition, `${logicalId}.Condition`)) continue;
    planned.push({ logicalId, type: resource.Type, properties: resource.Properties ?? {}, role });
  }
  return planned;
}
