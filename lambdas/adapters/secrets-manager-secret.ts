import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A Secrets Manager secret read once per container and again after `ttlMs`, so a rotation reaches
 * warm containers within that time without a call per request.
 */
export class CachedSecret {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  readonly #ttlMs: number;
  #cached: { value: string; until: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: {
    readonly client: SecretsManagerClient;
    readonly secretId: string;
    readonly ttlMs?: number;
  }) {
    this.#client = options.client;
    this.#secretId = options.secretId;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
  }

  async value(now = Date.now()): Promise<string> {
    if (this.#cached && now < this.#cached.until) return this.#cached.value;
    this.#pending ??= this.#fetch(now).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(now: number): Promise<string> {
    const { SecretString } = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    if (SecretString === undefined || SecretString === '') {
      throw new Error(`Secret ${this.#secretId} has no SecretString`);
    }
    this.#cached = { value: SecretString, until: now + this.#ttlMs };
    return SecretString;
  }
}

/**
 * The processor's signing secrets in one secret: a plain string, or a JSON array of strings while a
 * rotation overlaps (`["new", "old"]`): a signature by any of them is accepted.
 */
export function signingSecrets(secretString: string): string[] {
  const text = secretString.trim();
  if (text.startsWith('[')) {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string' && s !== '')) return parsed;
    throw new Error('A signing secret list must be a JSON array of non-empty strings');
  }
  return [text];
}
