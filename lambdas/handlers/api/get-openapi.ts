import { publicRoute } from '../../shared/api.ts';
import { json } from '../../shared/problems.ts';
import { buildOpenApiDocument, type Json } from './openapi.ts';

let document: Json | undefined;

/** GET /openapi.json (no API key): the API's OpenAPI 3.1 contract, generated from its zod schemas. */
export const { handler } = publicRoute(async () => {
  document ??= buildOpenApiDocument();
  return json(200, document, { 'cache-control': 'public, max-age=300' });
});
