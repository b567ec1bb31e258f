import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  type IAuthorizer,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  ResponseTransferMode,
  RestApi,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Tier } from '../lambdas/domain/tenants.ts';
import { isPublic, type RouteSpec } from './routes.ts';
import { TIER_LIMITS, type TierLimits } from './tenants.ts';

/** Properties of a {@link LedgerApi}. */
export interface LedgerApiProps {
  /** The Lambda authorizer of every tenant route (it resolves the key to a tenant and its usage key). */
  readonly authorizer: IAuthorizer;
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
   * Each tier's usage plan: rate and burst per tenant, and requests per tenant per month.
   * @default TIER_LIMITS
   */
  readonly tiers?: Readonly<Record<Tier, TierLimits>>;
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
 * The public REST API: every tenant method runs the Lambda authorizer, which resolves the caller's key
 * (`Authorization: Bearer` or `x-api-key`) to its tenant and returns the tenant's own API Gateway key
 * (`apiKeySourceType: AUTHORIZER`), so the usage plan of the tenant's tier throttles and caps it.
 * Routes are Lambda proxy integrations.
 */
export class LedgerApi extends Construct {
  /** The REST API. */
  public readonly api: RestApi;
  /** One usage plan per tier; each tenant's API Gateway key joins its tier's plan (tenants CLI). */
  public readonly tierPlans: Readonly<Record<Tier, UsagePlan>>;
  /** Where the stage writes one JSON line per request. */
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LedgerApiProps) {
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
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      defaultMethodOptions: { apiKeyRequired: true, authorizer: props.authorizer },
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
            tenant: AccessLogField.contextAuthorizer('tenantId'),
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

    const tiers = props.tiers ?? TIER_LIMITS;
    const plan = (tier: Tier, id: string): UsagePlan =>
      this.api.addUsagePlan(id, {
        name: `ledgerline-${tier}`,
        description: `Tier ${tier}: per-tenant throttle and monthly quota`,
        throttle: { rateLimit: tiers[tier].rateLimit, burstLimit: tiers[tier].burstLimit },
        quota: { limit: tiers[tier].monthlyQuota, period: Period.MONTH },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
    this.tierPlans = {
      free: plan('free', 'FreeTierPlan'),
      standard: plan('standard', 'StandardTierPlan'),
      enterprise: plan('enterprise', 'EnterpriseTierPlan'),
    };

    const api = this.api;
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Handlers validate input with zod and answer application/problem+json; a gateway validator would not.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'No WAF in the foundation: each tenant is throttled and capped by its tier’s usage plan.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Machine-to-machine API: tenants present API keys, resolved by the Lambda authorizer; no Cognito users.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The documented policy for the regional API Gateway logging role; it only writes API Gateway logs.',
    });
  }

  /** Routes `route.method route.path` to `fn` (Lambda proxy); the method runs the authorizer unless public. */
  public addRoute(route: RouteSpec, fn: IFunction): void {
    // The authorizer and apiKeyRequired come from defaultMethodOptions, so they also cover methods added elsewhere.
    // No test-invoke permission: the console's test button is not a way in.
    const method = this.api.root.resourceForPath(route.path).addMethod(
      route.method,
      new LambdaIntegration(fn, {
        allowTestInvoke: false,
        // REST response streaming: STREAM and the 2021-11-15 response-streaming-invocations URI.
        ...(route.responseStreaming ? { responseTransferMode: ResponseTransferMode.STREAM } : {}),
      }),
      isPublic(route) ? { apiKeyRequired: false, authorizationType: AuthorizationType.NONE } : {},
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
