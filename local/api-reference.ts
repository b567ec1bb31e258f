// The API reference as one self-contained HTML page (no script, no CDN, no external style): every
// operation with its parameters, request body, responses and their examples, the auth schemes, the
// problem types with their examples, and the schemas, rendered from an OpenAPI 3.1 document. The local
// gateway serves it at GET /docs from the API's own GET /openapi.json; `scripts/openapi.ts --html`
// writes the same page from the generated document.
import type { Server } from 'node:http';
import type { GatewayResponse } from './gateway-responses.ts';

type Json = Record<string, unknown>;

const json = (value: unknown): Json => (typeof value === 'object' && value !== null ? { ...value } : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Inline code spans (`x`) of a description, escaped. */
const prose = (value: unknown): string =>
  escapeHtml(text(value)).replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`);

/** The anchor of an operation: its operationId, else its method and path. */
export function operationAnchor(method: string, path: string, operation: Json): string {
  const id = text(operation.operationId) || `${method}-${path}`;
  return `op-${id.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

/** A schema or value as indented JSON, with `$ref`s to components turned into links. */
function code(value: unknown): string {
  const escaped = escapeHtml(JSON.stringify(value, null, 2) ?? '');
  return `<pre>${escaped.replace(
    /&quot;#\/components\/(schemas|examples|parameters)\/([A-Za-z0-9_.-]+)&quot;/g,
    (_, kind: string, name: string) => `<a href="#${kind}-${name}">&quot;${name}&quot;</a>`,
  )}</pre>`;
}

/** Follows a local `$ref` (`#/components/...`) once; anything else is returned as is. */
function resolver(document: Json): (value: unknown) => Json {
  return (value) => {
    const ref = text(json(value).$ref);
    if (!ref.startsWith('#/')) return json(value);
    return ref
      .slice(2)
      .split('/')
      .reduce<Json>((node, part) => json(node[part.replaceAll('~1', '/').replaceAll('~0', '~')]), document);
  };
}

function securityOf(document: Json, operation: Json): string {
  const requirements = list(operation.security ?? document.security).map(json);
  const names = requirements.flatMap((r) => Object.keys(r));
  if (names.length === 0) return '<p class="auth">Auth: none (public)</p>';
  const links = names.map((n) => `<a href="#auth-${escapeHtml(n)}">${escapeHtml(n)}</a>`);
  return `<p class="auth">Auth: ${links.join(' or ')}</p>`;
}

function parametersOf(operation: Json, resolve: (value: unknown) => Json): string {
  const parameters = list(operation.parameters).map(resolve);
  if (parameters.length === 0) return '';
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${escapeHtml(text(p.name))}</code></td><td>${escapeHtml(text(p.in))}</td>` +
      `<td>${p.required === true ? 'yes' : 'no'}</td><td>${code(p.schema ?? {})}</td><td>${prose(p.description)}</td></tr>`,
  );
  return `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${rows.join('')}</table>`;
}

/** Media types of a request body or response, each with its schema and examples. */
function contentOf(content: unknown, resolve: (value: unknown) => Json): string {
  return Object.entries(json(content))
    .map(([mediaType, value]) => {
      const media = json(value);
      const examples = Object.entries(json(media.examples)).map(([name, example]) => {
        const resolved = resolve(example);
        return `<details><summary>example <code>${escapeHtml(name)}</code>: ${prose(resolved.summary)}</summary>${code(resolved.value)}</details>`;
      });
      const inline =
        media.example === undefined
          ? ''
          : `<details><summary>example</summary>${code(media.example)}</details>`;
      return `<div class="media"><code>${escapeHtml(mediaType)}</code>${code(media.schema ?? {})}${examples.join('')}${inline}</div>`;
    })
    .join('');
}

function operationOf(document: Json, path: string, method: string, operation: Json): string {
  const resolve = resolver(document);
  const body = resolve(operation.requestBody);
  const request = operation.requestBody
    ? `<h4>Request body${body.required === true ? ' (required)' : ''}</h4>${contentOf(body.content, resolve)}`
    : '';
  const responses = Object.entries(json(operation.responses)).map(([status, value]) => {
    const response = resolve(value);
    const headers = Object.keys(json(response.headers));
    const headerNote =
      headers.length > 0
        ? `<p>Headers: ${headers.map((h) => `<code>${escapeHtml(h)}</code>`).join(', ')}</p>`
        : '';
    return `<div class="response"><h5>${escapeHtml(status)} ${prose(response.description)}</h5>${headerNote}${contentOf(response.content, resolve)}</div>`;
  });
  return [
    `<section class="operation" id="${operationAnchor(method, path, operation)}">`,
    `<h3><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${prose(operation.summary)}</p>`,
    operation.description ? `<p>${prose(operation.description)}</p>` : '',
    securityOf(document, operation),
    parametersOf(operation, resolve),
    request,
    `<h4>Responses</h4>${responses.join('')}`,
    '</section>',
  ].join('\n');
}

/** Every operation of the document: path, method, operation. */
export function operationsOf(document: unknown): { path: string; method: string; operation: Json }[] {
  return Object.entries(json(json(document).paths)).flatMap(([path, item]) =>
    Object.entries(json(item))
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation: json(operation) })),
  );
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;display:flex;color:#1b1f24}
nav{width:19rem;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f5f7;padding:1rem;box-sizing:border-box;font-size:13px}
nav a{display:block;text-decoration:none;color:#0b4f9c;padding:1px 0}main{padding:1rem 2rem;max-width:70rem;min-width:0}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:12px;margin:.25rem 0}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #d0d7de;padding:4px;vertical-align:top;text-align:left}.method{font-weight:700;color:#fff;background:#0b4f9c;padding:0 .4rem;border-radius:3px}
.operation{border-top:2px solid #d0d7de;margin-top:2rem}.response{margin-left:1rem}h5{margin:.75rem 0 .25rem;font-size:14px}`;

/** The reference page of an OpenAPI document. */
export function renderApiReference(input: unknown): string {
  const document = json(input);
  const info = json(document.info);
  const components = json(document.components);
  const operations = operationsOf(document);
  const nav = operations.map(
    ({ path, method, operation }) =>
      `<a href="#${operationAnchor(method, path, operation)}">${method.toUpperCase()} ${escapeHtml(path)}</a>`,
  );
  const schemes = Object.entries(json(components.securitySchemes)).map(([name, value]) => {
    const scheme = json(value);
    const where =
      scheme.type === 'apiKey'
        ? ` in ${escapeHtml(text(scheme.in))} <code>${escapeHtml(text(scheme.name))}</code>`
        : '';
    return `<div id="auth-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3><p>${escapeHtml(text(scheme.type))}${where}${scheme.scheme ? ` (${escapeHtml(text(scheme.scheme))})` : ''}</p><p>${prose(scheme.description)}</p></div>`;
  });
  const problems = Object.entries(json(components.examples)).map(([name, value]) => {
    const example = json(value);
    return `<div id="examples-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3><p>${prose(example.summary)}</p>${code(example.value)}</div>`;
  });
  const schemas = Object.entries(json(components.schemas)).map(
    ([name, schema]) =>
      `<div id="schemas-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${code(schema)}</div>`,
  );
  const parameters = Object.entries(json(components.parameters)).map(
    ([name, parameter]) =>
      `<div id="parameters-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${code(parameter)}</div>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(text(info.title) || 'API')} reference</title><style>${STYLE}</style></head>
<body><nav><strong>${escapeHtml(text(info.title))}</strong><a href="#auth">Authentication</a><a href="#problems">Problem types</a><a href="#schemas">Schemas</a><hr>${nav.join('')}</nav>
<main><h1>${escapeHtml(text(info.title))} <small>${escapeHtml(text(info.version))}</small></h1>
<p>${prose(info.description)}</p><p>OpenAPI ${escapeHtml(text(document.openapi))}; the document itself: <a href="openapi.json">openapi.json</a>.</p>
<h2 id="auth">Authentication</h2>${schemes.join('\n')}
<h2 id="operations">Operations</h2>${operations.map(({ path, method, operation }) => operationOf(document, path, method, operation)).join('\n')}
<h2 id="problems">Problem types</h2>${problems.join('\n')}
<h2 id="schemas">Schemas</h2>${schemas.join('\n')}${parameters.join('\n')}
</main></body></html>
`;
}

/** The page's headers: HTML, and nothing may load from anywhere (the page needs nothing). */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
};

/**
 * GET /docs for the local gateway when the API has no /docs route of its own: its GET /openapi.json
 * (fetched from the gateway itself, so it is exactly what the API serves), rendered.
 */
export function apiReference(
  server: () => Server,
): (method: string, path: string) => Promise<GatewayResponse | undefined> {
  return async (method, path) => {
    if (method !== 'GET' || path.replace(/\/$/, '') !== '/docs') return undefined;
    const address = server().address();
    if (address === null || typeof address === 'string') return undefined;
    const host = address.family === 'IPv6' ? '[::1]' : '127.0.0.1';
    const response = await fetch(`http://${host}:${address.port}/openapi.json`);
    if (!response.ok) return undefined;
    return { statusCode: 200, headers: PAGE_HEADERS, body: renderApiReference(await response.json()) };
  };
}
