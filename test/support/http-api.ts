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
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : {}) as J };
  };
}
