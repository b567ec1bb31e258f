import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { TemplateError } from './errors.ts';
import { AwsJsonError, closeServer, listen, readBody } from './http-server.ts';

/** `AWS::SecretsManager::Secret` as the template describes it, properties resolved. */
export interface SecretSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** Where a local secret's first value comes from, most specific first. */
export interface SecretSources {
  /** Values by logical id (e.g. from the runtime's options, for tests). */
  readonly overrides?: Readonly<Record<string, string>>;
  /**
   * The environment: `LEDGERLINE_LOCAL_SECRET_<LogicalId>` is the value,
   * `LEDGERLINE_LOCAL_SECRET_<LogicalId>_FILE` names a file holding it (one trailing newline dropped).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values kept from an earlier run (`--persist`), including any `PutSecretValue`. */
  readonly stored?: Readonly<Record<string, string>>;
}

/** The environment variable that sets the local value of the secret `logicalId`. */
export function secretEnvName(logicalId: string): string {
  return `LEDGERLINE_LOCAL_SECRET_${logicalId}`;
}

interface GenerateOptions {
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeLowercase?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
// The punctuation set Secrets Manager documents for GetRandomPassword.
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const flag = (value: unknown): boolean => value === true || value === 'true';

/**
 * A value the way `GenerateSecretString` makes one: a random password (default 32 characters, every
 * included character class present unless `RequireEachIncludedType` is false), or, with
 * `SecretStringTemplate` and `GenerateStringKey`, that JSON object with the password under the key.
 */
export function generateSecretString(
  options: GenerateOptions,
  pick: (max: number) => number = randomInt,
): string {
  const exclude = new Set(options.ExcludeCharacters ?? '');
  const classes = [
    flag(options.ExcludeLowercase) ? '' : LOWER,
    flag(options.ExcludeUppercase) ? '' : UPPER,
    flag(options.ExcludeNumbers) ? '' : DIGITS,
    flag(options.ExcludePunctuation) ? '' : PUNCTUATION,
    flag(options.IncludeSpace) ? ' ' : '',
  ]
    .map((set) => [...set].filter((c) => !exclude.has(c)).join(''))
    .filter((set) => set.length > 0);
  const length = Number(options.PasswordLength ?? 32);
  if (classes.length === 0) throw new Error('GenerateSecretString excludes every character');
  if (!Number.isInteger(length) || length < 1 || length > 4096) {
    throw new Error(
      `GenerateSecretString.PasswordLength must be 1-4096, got ${String(options.PasswordLength)}`,
    );
  }
  const all = classes.join('');
  const requireEach = options.RequireEachIncludedType === undefined || flag(options.RequireEachIncludedType);
  const chars: string[] = [];
  if (requireEach) for (const set of classes.slice(0, length)) chars.push(set[pick(set.length)] as string);
  while (chars.length < length) chars.push(all[pick(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  const password = chars.join('');
  if (options.SecretStringTemplate === undefined) return password;
  if (!options.GenerateStringKey) throw new Error('SecretStringTemplate needs GenerateStringKey');
  const template = JSON.parse(options.SecretStringTemplate) as Record<string, unknown>;
  return JSON.stringify({ ...template, [options.GenerateStringKey]: password });
}

/** The value a local secret starts with: override, environment, file, stored, `SecretString`, or generated. */
export function initialSecretValue(spec: SecretSpec, sources: SecretSources = {}): string {
  const override = sources.overrides?.[spec.logicalId];
  if (override !== undefined) return override;
  const env = sources.env ?? {};
  const fromEnv = env[secretEnvName(spec.logicalId)];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = env[`${secretEnvName(spec.logicalId)}_FILE`];
  if (file) {
    if (!existsSync(file)) {
      throw new TemplateError(
        spec.logicalId,
        'AWS::SecretsManager::Secret',
        `${secretEnvName(spec.logicalId)}_FILE names ${file}, which does not exist`,
      );
    }
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  const stored = sources.stored?.[spec.logicalId];
  if (stored !== undefined) return stored;
  const literal = spec.properties.SecretString;
  if (typeof literal === 'string') return literal;
  const generate = spec.properties.GenerateSecretString;
  try {
    return generateSecretString((generate ?? {}) as GenerateOptions);
  } catch (error) {
    throw new TemplateError(spec.logicalId, 'AWS::SecretsManager::Secret', (error as Error).message);
  }
}

interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
  readonly createdDate: number;
}

interface StoredSecret {
  readonly spec: SecretSpec;
  current: SecretVersion;
  previous: SecretVersion | undefined;
}

/** A running Secrets Manager endpoint (JSON 1.1 protocol) on loopback. */
export interface SecretsManagerEmulator {
  /** For `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpoint: string;
  /** Creates the secret with its initial value (see {@link initialSecretValue}). */
  register(spec: SecretSpec): void;
  /** The current value of a secret by logical id, name or ARN. */
  value(id: string): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a Secrets Manager endpoint on 127.0.0.1 that answers `GetSecretValue`, `PutSecretValue`,
 * `DescribeSecret` and `ListSecrets` for the stack's secrets, so handlers use the real SDK client.
 * `dataFile` keeps values (generated or put) between runs.
 */
export async function startSecretsManager(options: {
  port?: number;
  host?: string;
  sources?: Omit<SecretSources, 'stored'>;
  dataFile?: string;
}): Promise<SecretsManagerEmulator> {
  const secrets = new Map<string, StoredSecret>();
  const stored: Record<string, string> =
    options.dataFile && existsSync(options.dataFile)
      ? (JSON.parse(readFileSync(options.dataFile, 'utf8')) as Record<string, string>)
      : {};
  const save = () => {
    if (!options.dataFile) return;
    const data: Record<string, string> = {};
    for (const [logicalId, secret] of secrets) data[logicalId] = secret.current.value;
    mkdirSync(dirname(options.dataFile), { recursive: true });
    const tmp = `${options.dataFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2));
    renameSync(tmp, options.dataFile);
  };

  const find = (id: unknown): StoredSecret => {
    if (typeof id !== 'string' || id === '') {
      throw new AwsJsonError('InvalidParameterException', 'SecretId is required.');
    }
    for (const secret of secrets.values()) {
      const { name, arn, logicalId } = secret.spec;
      // A partial ARN (without the random suffix) names the secret too.
      if (id === name || id === arn || id === logicalId || arn.startsWith(`${id}-`)) return secret;
    }
    throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  };
  const versionOf = (secret: StoredSecret, versionId?: unknown, stage?: unknown): SecretVersion => {
    if (versionId !== undefined) {
      const match = [secret.current, secret.previous].find((v) => v?.versionId === versionId);
      if (match) return match;
      throw new AwsJsonError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value.",
      );
    }
    if (stage === 'AWSPREVIOUS') {
      if (secret.previous) return secret.previous;
      throw new AwsJsonError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
      );
    }
    if (stage !== undefined && stage !== 'AWSCURRENT') {
      throw new AwsJsonError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${String(stage)}`,
      );
    }
    return secret.current;
  };
  const stages = (secret: StoredSecret, version: SecretVersion) =>
    version === secret.current ? ['AWSCURRENT'] : ['AWSPREVIOUS'];

  const actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue(input) {
      const secret = find(input.SecretId);
      const version = versionOf(secret, input.VersionId, input.VersionStage);
      return {
        ARN: secret.spec.arn,
        Name: secret.spec.name,
        VersionId: version.versionId,
        SecretString: version.value,
        VersionStages: stages(secret, version),
        CreatedDate: version.createdDate,
      };
    },
    PutSecretValue(input) {
      const secret = find(input.SecretId);
      if (typeof input.SecretString !== 'string') {
        throw new AwsJsonError('InvalidParameterException', 'Only SecretString is supported locally.');
      }
      const versionId =
        typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
      if (secret.current.versionId !== versionId) {
        secret.previous = secret.current;
        secret.current = { versionId, value: input.SecretString, createdDate: Date.now() / 1000 };
        save();
      }
      return {
        ARN: secret.spec.arn,
        Name: secret.spec.name,
        VersionId: secret.current.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId);
      return describe(secret);
    },
    ListSecrets() {
      return { SecretList: [...secrets.values()].map(describe) };
    },
  };
  const describe = (secret: StoredSecret) => ({
    ARN: secret.spec.arn,
    Name: secret.spec.name,
    ...(typeof secret.spec.properties.Description === 'string'
      ? { Description: secret.spec.properties.Description }
      : {}),
    CreatedDate: secret.current.createdDate,
    VersionIdsToStages: Object.fromEntries(
      [secret.current, secret.previous]
        .filter((v): v is SecretVersion => v !== undefined)
        .map((v) => [v.versionId, stages(secret, v)]),
    ),
  });

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const payload = await readBody(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [service, action = ''] = target.split('.');
      const run = service === 'secretsmanager' ? actions[action] : undefined;
      if (req.method !== 'POST' || !run) {
        throw new AwsJsonError(
          'UnknownOperationException',
          `${target || 'this request'} is not supported locally`,
        );
      }
      const text = payload.toString('utf8');
      const input = (text.trim() === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      send(200, run(input));
    } catch (error) {
      const type = error instanceof AwsJsonError ? error.type : 'InternalServiceError';
      const status = type === 'InternalServiceError' ? 500 : 400;
      send(status, { __type: type, message: (error as Error).message }, { 'x-amzn-errortype': type });
    }
  };

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  return {
    endpoint: `http://${host}:${port}`,
    register(spec) {
      const value = initialSecretValue(spec, { ...options.sources, stored });
      const version = { versionId: randomUUID(), value, createdDate: Date.now() / 1000 };
      secrets.set(spec.logicalId, { spec, current: version, previous: undefined });
      save();
    },
    value(id) {
      try {
        return find(id).current.value;
      } catch {
        return undefined;
      }
    },
    stop: () => closeServer(server),
  };
}
