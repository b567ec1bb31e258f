import { Aws, Fn } from 'aws-cdk-lib';
import { CfnMethod } from 'aws-cdk-lib/aws-apigateway';
import { CfnFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { LedgerApi } from './ledger-api.ts';
import type { RouteSpec } from './routes.ts';

/**
 * A streamed response may last up to 15 minutes on API Gateway (response streaming's maximum), so its
 * function may run as long; the first byte still has to come within the integration timeout (29 s).
 */
export const STREAMING_TIMEOUT_SECONDS = 900;

/** Properties of {@link Exports}. */
export interface ExportsProps {
  readonly api: LedgerApi;
  /** The routes; those with `responseStreaming` are switched to API Gateway response streaming. */
  readonly routes: readonly RouteSpec[];
  /** The function the stack made for a route. */
  readonly functionOf: (route: RouteSpec) => IFunction | undefined;
}

/**
 * Statements and exports (issue 14). A streaming route is an API Gateway REST Lambda proxy with
 * `ResponseTransferMode: STREAM` and the `2021-11-15/.../response-streaming-invocations` URI (Lambda's
 * InvokeWithResponseStream), its handler wrapped in `awslambda.streamifyResponse`. CDK's
 * `LambdaIntegration` has `responseTransferMode`, but LedgerApi.addRoute builds every integration the
 * same way, so the streaming routes are switched here on the L1 method (same result in the template).
 */
export class Exports extends Construct {
  constructor(scope: Construct, id: string, props: ExportsProps) {
    super(scope, id);
    for (const route of props.routes.filter((r) => r.responseStreaming)) {
      const fn = props.functionOf(route);
      const method = props.api.api.root.resourceForPath(route.path).node.tryFindChild(route.method);
      const cfnMethod = method?.node.defaultChild;
      const cfnFunction = fn?.node.defaultChild;
      if (!fn || !(cfnMethod instanceof CfnMethod) || !(cfnFunction instanceof CfnFunction)) {
        throw new Error(`Streaming route ${route.method} ${route.path} has no method or function to stream`);
      }
      cfnMethod.addPropertyOverride('Integration.ResponseTransferMode', 'STREAM');
      cfnMethod.addPropertyOverride(
        'Integration.Uri',
        Fn.join('', [
          'arn:',
          Aws.PARTITION,
          ':apigateway:',
          Aws.REGION,
          ':lambda:path/2021-11-15/functions/',
          fn.functionArn,
          '/response-streaming-invocations',
        ]),
      );
      cfnFunction.timeout = STREAMING_TIMEOUT_SECONDS;
    }
  }
}
