// The local Secrets Manager: the endpoint on its own (real SDK client), then inside the runtime on the fixture app.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arns } from '../../../local/naming.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime.ts';
import {
  generateSecretString,
  initialSecretValue,
  type SecretSpec,
  type SecretsManagerEmulator,
  startSecretsManager,
} from '../../../local/secrets-manager.ts';
import { localAppAssembly } from '../../support/local-app.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

function spec(logicalId: string, properties: Record<string, unknown>): SecretSpec {
  const name = `Stack-${logicalId}`;
  return { logicalId, name, arn: arns.secret(region, name), properties };
}

describe('generateSecretString', () => {
  it('makes a 32-character password with every character class by default', () => {
    const value = generateSecretString({});
    expect(value).toHaveLength(32);
    for (const pattern of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(value).toMatch(pattern);
  });

  it('honours the length, the excluded classes and characters', () => {
    const value = generateSecretString({
      PasswordLength: 64,
      ExcludePunctuation: true,
      ExcludeUppercase: true,
      ExcludeCharacters: 'abc',
    });
    expect(value).toMatch(/^[d-z0-9]{64}$/);
  });

  it('puts the password into the template object under GenerateStringKey', () => {
    const value = JSON.parse(
      generateSecretString({
        SecretStringTemplate: '{"username":"app"}',
        GenerateStringKey: 'password',
        ExcludePunctuation: true,
      }),
    ) as Record<string, string>;
    expect(value.username).toBe('app');
    expect(value.password).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe('initialSecretValue', () => {
  const generated = spec('Generated', { GenerateSecretString: { PasswordLength: 12 } });
  const literal = spec('Literal', { SecretString: 'from-template' });

  it('prefers an override, then the environment, then a file, then a stored value, then the template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
    try {
      const file = join(dir, 'value.txt');
      writeFileSync(file, 'from-file\n');
      const env = { LEDGERLINE_LOCAL_SECRET_Literal: 'from-env' };
      expect(initialSecretValue(literal, { overrides: { Literal: 'override' }, env })).toBe('override');
      expect(initialSecretValue(literal, { env, stored: { Literal: 'stored' } })).toBe('from-env');
      expect(initialSecretValue(literal, { env: { LEDGERLINE_LOCAL_SECRET_Literal_FILE: file } })).toBe(
        'from-file',
      );
      expect(initialSecretValue(literal, { stored: { Literal: 'stored' } })).toBe('stored');
      expect(initialSecretValue(literal)).toBe('from-template');
      expect(initialSecretValue(generated)).toHaveLength(12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a _FILE variable that names no file, naming the secret', () => {
    expect(() =>
      initialSecretValue(literal, { env: { LEDGERLINE_LOCAL_SECRET_Literal_FILE: '/nonexistent/secret' } }),
    ).toThrow(/Literal.*does not exist/);
  });
});

describe('the Secrets Manager endpoint (JSON 1.1, real SDK client)', () => {
  let emulator: SecretsManagerEmulator;
  let client: SecretsManagerClient;
  let dir: string;
  const webhook = spec('Webhook', { GenerateSecretString: { ExcludePunctuation: true } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    emulator = await startSecretsManager({ dataFile: join(dir, 'secrets.json') });
    emulator.register(webhook);
    emulator.register(spec('Literal', { SecretString: 'from-template' }));
    client = new SecretsManagerClient({ endpoint: emulator.endpoint, region, credentials });
  });

  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers GetSecretValue by name, ARN and partial ARN', async () => {
    const byName = await client.send(new GetSecretValueCommand({ SecretId: webhook.name }));
    expect(byName).toMatchObject({ ARN: webhook.arn, Name: webhook.name, VersionStages: ['AWSCURRENT'] });
    expect(byName.SecretString).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: webhook.arn }));
    const partial = webhook.arn.slice(0, webhook.arn.lastIndexOf('-'));
    const byPartial = await client.send(new GetSecretValueCommand({ SecretId: partial }));
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(byPartial.SecretString).toBe(byName.SecretString);
  });

  it('throws ResourceNotFoundException for an unknown secret', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('rotates with PutSecretValue: the new value is AWSCURRENT, the old one AWSPREVIOUS, and it is kept on disk', async () => {
    const before = await client.send(new GetSecretValueCommand({ SecretId: 'Stack-Literal' }));
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: 'Stack-Literal', SecretString: 'rotated' }),
    );
    const after = await client.send(new GetSecretValueCommand({ SecretId: 'Stack-Literal' }));
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'Stack-Literal', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(after).toMatchObject({ SecretString: 'rotated', VersionId: put.VersionId });
    expect(previous).toMatchObject({ SecretString: 'from-template', VersionId: before.VersionId });
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'Stack-Literal' }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toMatchObject({ Literal: 'rotated' });

    const restarted = await startSecretsManager({ dataFile: join(dir, 'secrets.json') });
    try {
      restarted.register(spec('Literal', { SecretString: 'from-template' }));
      expect(restarted.value('Literal')).toBe('rotated');
    } finally {
      await restarted.stop();
    }
  });
});

describe('secrets in the local runtime', () => {
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    delete process.env.LEDGERLINE_LOCAL_SECRET_FixtureSecret;
  });

  const read = async (path: string) =>
    (await (await fetch(`${runtime?.apiUrl}${path}`)).json()) as { arn: string; name: string; value: string };

  it('builds each secret, resolves Ref to its ARN, and handlers read it with the SDK', async () => {
    runtime = await startLocalRuntime({
      cdkOut: await localAppAssembly(),
      port: 0,
      apiKeys: [],
      projectRoot: process.cwd(),
      log: () => {},
      functionLog: () => {},
    });
    const generated = await read('/secret');
    expect(generated.arn).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:LocalApp-FixtureSecret-\w{6}$/,
    );
    expect(generated.value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(runtime.secretValue('FixtureSecret')).toBe(generated.value);
    expect((await read('/literal-secret')).value).toBe('literal-value');
  });

  it('takes a value from LEDGERLINE_LOCAL_SECRET_<LogicalId> or from the options', async () => {
    process.env.LEDGERLINE_LOCAL_SECRET_FixtureSecret = 'known-to-the-test';
    runtime = await startLocalRuntime({
      cdkOut: await localAppAssembly(),
      port: 0,
      apiKeys: [],
      projectRoot: process.cwd(),
      log: () => {},
      functionLog: () => {},
    });
    expect((await read('/secret')).value).toBe('known-to-the-test');
  });
});
