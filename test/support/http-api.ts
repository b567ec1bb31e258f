import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterEach, expect } from 'vitest';
import { buildOpenApiDocument, type Json } from '../../lambdas/handlers/api/openapi.ts';

/** A reply of the API under test: status, headers and the parsed JSON body (problem+json included). */
export interface Reply<J = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly json: J;
}

/** A black-box HTTP client for one tenant: sends `x-api-key`, JSON bodies (a string is sent as is). */
export function apiClient(apiUrl: string, apiKey: string) {
  const base = apiUrl.replace(/\/$/, '');
  return async function request<J = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<J>> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        'x-api-key': apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.clone().text();
    return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : {}) as J };
  };
}

/** Checks responses against the OpenAPI document: the operation, the status, the media type, the body. */
export class ContractChecker {
  readonly #document = buildOpenApiDocument();
  readonly #ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #routes: { method: string; template: string; pattern: RegExp }[];

  constructor() {
    this.#ajv.addSchema({ $id: 'openapi', components: this.#document.components }, 'openapi');
    const paths = this.#document.paths as Record<string, Json>;
    // Literal paths before templated ones: `/payments` wins over `/payments/{id}` for what it names.
    this.#routes = Object.entries(paths)
      .flatMap(([template, item]) => Object.keys(item).map((method) => ({ method, template })))
      .map(({ method, template }) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('.', '\\.')}$`),
      }))
      .sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  }

  /** What is wrong with this response, or null when the document declares it. */
  problem(
    method: string,
    path: string,
    status: number,
    contentType: string | null,
    text: string,
  ): string | null {
    const route = this.#routes.find((r) => r.method === method && r.pattern.test(path));
    // An undeclared route: only API Gateway answers it (403 Missing Authentication Token).
    const pointer = route
      ? `#/paths/${route.template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}`
      : null;
    const operation = route
      ? (this.#document.paths as Record<string, Record<string, Json>>)[route.template]?.[method.toLowerCase()]
      : undefined;
    const responses = (operation?.responses ?? {}) as Record<
      string,
      { content?: Record<string, { schema: Json }> }
    >;
    const declared = route
      ? responses[String(status)]
      : { content: { 'application/json': { schema: { $ref: '#/components/schemas/GatewayError' } } } };
    const where = `${method} ${path} → ${status}`;
    if (!declared) return `${where}: status not declared for ${pointer ?? 'this route'}`;
    const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
    const media = declared.content?.[mediaType];
    if (!media)
      return `${where}: media type '${mediaType}' not declared (declared: ${Object.keys(declared.content ?? {}).join(', ')})`;
    // A JSON media type is parsed; any other (the statement's text/csv) is held to its schema as one string.
    let body: unknown = text;
    if (/^application\/(.+\+)?json$/.test(mediaType)) {
      try {
        body = JSON.parse(text);
      } catch {
        return `${where}: body is not JSON: ${text.slice(0, 200)}`;
      }
    }
    const key = `${pointer}|${status}|${mediaType}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile({
        $id: `response-${this.#validators.size}`,
        ...this.#resolved(media.schema),
      });
      this.#validators.set(key, validate);
    }
    if (validate(body)) return null;
    return `${where}: body does not match the document: ${this.#ajv.errorsText(validate.errors)}; body: ${text.slice(0, 500)}`;
  }

  /**
   * What is wrong with a request the API accepted (2xx): a JSON body the document's request schema refuses
   * means the document is stricter than the API, so clients generated from it would be refused what works.
   * (The other way round is not checked: a body the schema allows may still break a rule the schema cannot
   * say, such as two different accounts, and get 400.)
   */
  requestProblem(method: string, path: string, status: number, body: string | undefined): string | null {
    if (status < 200 || status >= 300 || body === undefined || body === '') return null;
    const route = this.#routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return null;
    const operation = (this.#document.paths as Record<string, Record<string, Json>>)[route.template]?.[
      method.toLowerCase()
    ];
    const requestBody = operation?.requestBody as { content?: Record<string, { schema: Json }> } | undefined;
    const schema = requestBody?.content?.['application/json']?.schema;
    const where = `${method} ${path} → ${status}`;
    // No JSON schema: a route without a body, or the processor's signed raw body (checked by its signature).
    if (!schema) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${where}: accepted a body that is not JSON`;
    }
    const key = `request ${route.template} ${method}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile({ $id: `request-${this.#validators.size}`, ...this.#resolved(schema) });
      this.#validators.set(key, validate);
    }
    if (validate(parsed)) return null;
    return `${where}: accepted a body the document refuses: ${this.#ajv.errorsText(validate.errors)}; body: ${body.slice(0, 300)}`;
  }

  /** The schema with its component references pointing into the document registered as `openapi`. */
  #resolved(schema: Json): Json {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
  }
}

const WRAPPED = Symbol.for('ledgerline.contract-checked-fetch');

/**
 * `fetch` that reports, through `onViolation`, each response from `apiUrl` the document does not declare, and
 * each request body the API accepted that the document would refuse.
 */
export function contractFetch(
  apiUrl: string,
  onViolation: (problem: string) => void,
  original: typeof fetch = Reflect.get(globalThis.fetch, WRAPPED) ?? globalThis.fetch,
): typeof fetch {
  const base = apiUrl.replace(/\/$/, '');
  const checker = new ContractChecker();
  const checked = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await original(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(`${base}/`)) {
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const path = new URL(url).pathname.slice(new URL(`${base}/`).pathname.length - 1);
      const text = await response.clone().text();
      const problem = checker.problem(
        method,
        path,
        response.status,
        response.headers.get('content-type'),
        text,
      );
      if (problem) onViolation(problem);
      const sent = typeof init?.body === 'string' ? init.body : undefined;
      const requestProblem = checker.requestProblem(method, path, response.status, sent);
      if (requestProblem) onViolation(requestProblem);
    }
    return response;
  };
  Object.defineProperty(checked, WRAPPED, { value: original });
  return checked;
}

/**
 * The contract hook of the integration suite: every response from `apiUrl` that the calling test file
 * receives (through `apiClient` or a bare `fetch`) is checked against the OpenAPI document, and a test
 * that received one the document does not declare fails.
 */
export function checkContract(apiUrl: string): void {
  if (!apiUrl) return;
  const violations: string[] = [];
  const checked = contractFetch(apiUrl, (problem) => violations.push(problem));
  Object.defineProperty(globalThis, 'fetch', { value: checked, writable: true, configurable: true });
  afterEach(() => {
    const found = violations.splice(0);
    expect(found, 'responses the OpenAPI document does not declare').toEqual([]);
  });
}
