import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A caller's correlation id that is kept (the OpenAPI document declares the same pattern). */
export const CORRELATION_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A request header by name, whatever its case. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The header a request's correlation id comes in (when valid) and every answer carries. */
export const CORRELATION_HEADER = 'X-Correlation-Id';

/** A request's correlation id: the caller's valid `X-Correlation-Id`, else API Gateway's request id. */
export function correlationIdOf(event: APIGatewayProxyEvent): string {
  const given = header(event, CORRELATION_HEADER);
  return given && CORRELATION_PATTERN.test(given) ? given : event.requestContext.requestId;
}

/** Every log line of the request carries its correlation id (one line per answer), and so does every answer (errors too). */
export const correlation = (logger: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  const answer = (request: Request<APIGatewayProxyEvent, APIGatewayProxyResult>) => {
    const { httpMethod, resource } = request.event;
    logger.info('Request answered', { httpMethod, resource, statusCode: request.response?.statusCode });
    if (request.response) {
      const headers = { ...request.response.headers, [CORRELATION_HEADER]: correlationIdOf(request.event) };
      request.response = { ...request.response, headers };
    }
  };
  return {
    before: (request) => {
      logger.appendKeys({ correlationId: correlationIdOf(request.event) });
    },
    after: answer,
    onError: answer,
  };
};
