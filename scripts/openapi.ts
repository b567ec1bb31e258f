// Writes the API's OpenAPI 3.1 document (generated from the zod schemas) to the given file, or to
// stdout: `npm exec -- node scripts/openapi.ts openapi.json`. GET /openapi.json serves the same document.
// With `--html`, writes the rendered reference instead (one self-contained page, no CDN), the page the
// local runtime serves at GET /docs: `npm exec -- node scripts/openapi.ts --html docs.html`.
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../lambdas/handlers/api/openapi.ts';
import { renderApiReference } from '../local/api-reference.ts';

const args = process.argv.slice(2);
const html = args.includes('--html');
const [target] = args.filter((arg) => arg !== '--html');
const document = buildOpenApiDocument();
const text = html ? renderApiReference(document) : `${JSON.stringify(document, null, 2)}\n`;
if (target) {
  writeFileSync(target, text);
  console.error(`openapi: wrote ${target}`);
} else {
  process.stdout.write(text);
}
