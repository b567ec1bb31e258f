import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKey,
  ApiKeySourceType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RestApi,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isPublic, type RouteSpec } from './routes.ts';

/** Properties of a {@link LedgerApi}. */
export interface LedgerApiProps {
  /**
   * Stage name; it is the first path segment of every URL.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Limits for the whole stage, all tenants together.
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly stageThrottle?: ThrottleSettings;
  /**
   * Limits per API key (per tenant), from the usage plan.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly tenantThrottle?: ThrottleSettings;
  /**
   * Requests per tenant per day.
   * @default 100_000
   */
  readonly tenantDailyQuota?: number;
  /**
   * Routes called without an API key (signed webhooks, public documents): each gets its own method
   * throttle, so a flood of unauthenticated calls cannot use up the stage-wide limit every tenant shares.
   * @default none
   */
  readonly publicRoutes?: readonly Pick<RouteSpec, 'method' | 'path'>[];
  /**
   * The method throttle of each public route.
   * @default { rateLimit: 20, burstLimit: 40 }
   */
  readonly publicRouteThrottle?: ThrottleSettings;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The public REST API: every method needs an API key (header `x-api-key`), which is
 * also the tenant (`requestContext.identity.apiKeyId`); a usage plan throttles and
 * caps each key. Routes are Lambda proxy integrations.
 */
export class LedgerApi extends Construct {
  /** The REST API. */
  public readonly api: RestApi;
  /** The usage plan every tenant key joins. */
  public readonly usagePlan: UsagePlan;
  /** A first key, in the plan; AWS generates its value. */
  public readonly defaultApiKey: ApiKey;
  /** Where the stage writes one JSON line per request. */
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LedgerApiProps = {}) {
    super(scope, id);
    const stageThrottle = props.stageThrottle ?? { rateLimit: 500, burstLimit: 1000 };
    const publicThrottle = props.publicRouteThrottle ?? { rateLimit: 20, burstLimit: 40 };

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: 'Ledgerline',
      description: 'Ledgerline payments ledger',
      endpointTypes: [EndpointType.REGIONAL],
      apiKeySourceType: ApiKeySourceType.HEADER,
      defaultMethodOptions: { apiKeyRequired: true },
      // Stage logging (access and execution) needs the account's API Gateway
      // CloudWatch role; a fresh account has none, so the stack sets it (and keeps it).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        // ERROR only and no data trace: bodies carry payment details.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        methodOptions: Object.fromEntries(
          (props.publicRoutes ?? []).map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: publicThrottle.rateLimit,
              throttlingBurstLimit: publicThrottle.burstLimit,
            },
          ]),
        ),
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            extendedRequestId: AccessLogField.contextExtendedRequestId(),
            requestTime: AccessLogField.contextRequestTime(),
            tenant: AccessLogField.contextIdentityApiKeyId(),
            sourceIp: AccessLogField.contextIdentitySourceIp(),
            method: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            status: AccessLogField.contextStatus(),
            errorType: AccessLogField.contextErrorResponseType(),
            error: AccessLogField.contextErrorMessageString(),
            latencyMs: AccessLogField.contextResponseLatency(),
            integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
            xrayTraceId: AccessLogField.contextXrayTraceId(),
          }),
        ),
      },
    });

    const tenantThrottle = props.tenantThrottle ?? { rateLimit: 50, burstLimit: 100 };
    this.usagePlan = this.api.addUsagePlan('TenantPlan', {
      description: 'Per-tenant (per API key) throttle and daily quota',
      throttle: tenantThrottle,
      quota: { limit: props.tenantDailyQuota ?? 100_000, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    // No value in code: AWS generates it (see the ApiKeyId output).
    this.defaultApiKey = new ApiKey(this, 'DefaultKey', {
      description: 'First tenant key of Ledgerline',
      enabled: true,
    });
    this.usagePlan.addApiKey(this.defaultApiKey);

    const api = this.api;
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Handlers validate input with zod and answer application/problem+json; a gateway validator would not.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'No WAF in the foundation: each tenant key is throttled and capped by the usage plan.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The caller is identified by a required API key in a usage plan (one per tenant); no authorizer yet.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Machine-to-machine API for tenants identified by API key; no Cognito users.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The documented policy for the regional API Gateway logging role; it only writes API Gateway logs.',
    });
  }

  /** Routes `route.method route.path` to `fn` (Lambda proxy); the method needs an API key unless public. */
  public addRoute(route: RouteSpec, fn: IFunction): void {
    // apiKeyRequired comes from defaultMethodOptions, so it also covers methods added elsewhere.
    // No test-invoke permission: the console's test button is not a way in.
    const method = this.api.root
      .resourceForPath(route.path)
      .addMethod(
        route.method,
        new LambdaIntegration(fn, { allowTestInvoke: false }),
        isPublic(route) ? { apiKeyRequired: false } : {},
      );
    if (route.auth === 'webhook-signature') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Called by the card processor, which has no API key: the handler verifies its HMAC signature.',
      });
    }
    if (route.auth === 'none') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'A public document (the API contract): the same for every caller, no tenant data.',
      });
    }
  }

  /** The invoke URL of the stage, ending in `/`. */
  public get url(): string {
    return this.api.url;
  }
}
