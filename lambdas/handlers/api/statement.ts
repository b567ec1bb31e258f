import type { StreamifyHandler } from 'aws-lambda';
import { readApi } from '../../composition/read-api.ts';
import { streamStatement } from './statement-stream.ts';

/**
 * GET /accounts/{id}/statement.csv: API Gateway REST response streaming (`responseTransferMode: STREAM`,
 * the `response-streaming-invocations` integration) to this streamified handler.
 */
export const handler: StreamifyHandler = awslambda.streamifyResponse((event, responseStream) =>
  streamStatement(event, responseStream, readApi(), (stream, metadata) =>
    awslambda.HttpResponseStream.from(stream, metadata),
  ),
);
