// The CLI's errors: a failure names what to do about it, and maps to exit code 1; bad input maps to 2.

/** A failure the operator can fix: `message` says what went wrong, `fix` what to do. Exit code 1. */
export class OperatorError extends Error {
  override name = 'OperatorError';
  readonly fix: string | undefined;

  constructor(message: string, options: { readonly fix?: string; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.fix = options.fix;
  }
}

/** Input the command cannot take (a bad flag value, a queue that does not exist). Exit code 2. */
export class UsageError extends OperatorError {
  override name = 'UsageError';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** The network error code of an SDK or fetch failure, looking through `cause`s. */
export function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkCode).find(Boolean);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** One line for an error: the message, then the fix when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof OperatorError)
    return error.fix ? `${error.message}\n  fix: ${error.fix}` : error.message;
  const name = (error as { name?: unknown })?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return `${message}\n  fix: pass --profile <name> (or set AWS_PROFILE), or use --target local`;
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return `${message}\n  fix: refresh the credentials (aws sso login --profile <name>)`;
  }
  const code = networkCode(error);
  if (code) return `cannot reach the target (${code}): ${message}\n  fix: run 'ledgerline doctor'`;
  return `${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${message}`;
}
