import { describe, expect, it } from 'vitest';
import { STREAMING_TIMEOUT_SECONDS } from '../../lib/exports.ts';
import { ROUTES } from '../../lib/routes.ts';
import { ofType, routeFunction, synthesizeStack } from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('statements (issue 14)', () => {
  const streaming = ROUTES.filter((r) => r.responseStreaming);

  it('streams GET /accounts/{id}/statement.csv', () => {
    expect(streaming.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /accounts/{id}/statement.csv']);
  });

  it('serves each streaming route with API Gateway REST response streaming to its own function', () => {
    for (const route of streaming) {
      const { id, props } = routeFunction(route);
      expect(props.Timeout).toBe(STREAMING_TIMEOUT_SECONDS);
      const methods = ofType('AWS::ApiGateway::Method').filter(([, m]) =>
        JSON.stringify(m.Properties.Integration).includes(`"${id}","Arn"`),
      );
      expect(methods).toHaveLength(1);
      const integration = methods[0]?.[1].Properties.Integration as Record<string, unknown>;
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', ResponseTransferMode: 'STREAM' });
      const uri = JSON.stringify(integration.Uri);
      expect(uri).toContain(':lambda:path/2021-11-15/functions/');
      expect(uri).toContain('/response-streaming-invocations');
    }
  });

  it('leaves every other route buffered', () => {
    const streamed = ofType('AWS::ApiGateway::Method').filter(([, m]) =>
      JSON.stringify(m.Properties.Integration).includes('STREAM'),
    );
    expect(streamed).toHaveLength(streaming.length);
  });
});
