// Writes the API's OpenAPI 3.1 document (generated from the zod schemas) to the given file, or to
// stdout: `npm exec -- node scripts/openapi.ts openapi.json`. GET /openapi.json serves the same document.
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../lambdas/handlers/api/openapi.ts';

const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
const [target] = process.argv.slice(2);
if (target) {
  writeFileSync(target, text);
  console.error(`openapi: wrote ${target}`);
} else {
  process.stdout.write(text);
}
