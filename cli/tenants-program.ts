// `npm run tenants -- <command>`: tenants, their API keys and tiers, on the local runtime or a deployed stage.
// Exit codes: 0 done, 1 usage (bad command, flag or value), 2 not found, 3 already exists, 4 any other failure.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { TenantAdmin } from '../lambdas/application/tenant-admin.ts';
import {
  isTier,
  type KeyRecord,
  keyStatus,
  parseScopes,
  type Scope,
  TenantExistsError,
  TenantNotFoundError,
  type TenantRecord,
  TIERS,
  type Tier,
} from '../lambdas/domain/tenants.ts';
import { action, type CliIo } from './context.ts';
import { describeError, UsageError } from './errors.ts';
import { type Output, table } from './output.ts';
import { type GlobalOptions, resolveTarget, withTargetOptions } from './target.ts';
import { tenantAdminFor } from './tenants-target.ts';

export const EXIT = { ok: 0, usage: 1, notFound: 2, exists: 3, failed: 4 } as const;

/** How the CLI gets its admin for the global flags (tests pass one over in-memory ports). */
export type AdminFor = (options: GlobalOptions, io: CliIo) => Promise<TenantAdmin>;

const defaultAdminFor: AdminFor = async (options, io) =>
  tenantAdminFor(await resolveTarget(options, io.projectRoot), options);

/** `90s`, `30m`, `24h`, `7d` (or a number of ms followed by `ms`) → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 90s, 30m, 24h or 7d');
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(match[1]) * (units[match[2] ?? ''] ?? 0);
}

function tier(text: string): Tier {
  if (!isTier(text)) throw new InvalidArgumentError(`expected one of ${TIERS.join(', ')}`);
  return text;
}

function scopes(text: string): Scope[] {
  try {
    return parseScopes(text);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

const tenantRow = (t: TenantRecord) => [t.tenantId, t.name, t.tier, t.status, t.createdAt];
const keyRow = (k: KeyRecord, now: number) => [
  k.keyId,
  k.scopes.join(','),
  keyStatus(k, now),
  k.createdAt,
  k.notAfter ?? '',
  k.revokedAt ?? '',
];
const publicKey = ({ hash: _hash, ...key }: KeyRecord) => key;

/** The program; every action's exit code lands in `state.exitCode`. */
export function buildTenantsProgram(io: CliIo, state: { exitCode: number }, adminFor: AdminFor): Command {
  const program = withTargetOptions(
    new Command('tenants').description(
      'Operate tenants, their API keys and tiers (npm run tenants -- <command> --help).',
    ),
  )
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', `\nExit codes: 0 done, 1 usage, 2 not found, 3 already exists, 4 other failure.`)
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .exitOverride();
  const run = (
    body: (
      admin: TenantAdmin,
      out: Output,
      args: readonly string[],
      opts: Readonly<Record<string, unknown>>,
    ) => Promise<void>,
  ) =>
    action(io, state, async (context, args, opts) => {
      await body(await adminFor(context.options, io), context.out, args, opts);
      return EXIT.ok;
    });

  program
    .command('create')
    .description('create a tenant with its own API Gateway key in its tier’s usage plan')
    .requiredOption('--name <name>', 'a name for people')
    .option('--tier <tier>', `one of ${TIERS.join(', ')}`, tier, 'standard')
    .option('--id <id>', 'keep this tenant id (migration: today’s API key id); default: a new tn_… id')
    .action(
      run(async (admin, out, _args, opts) => {
        const tenant = await admin.createTenant({
          name: String(opts.name),
          tier: tier(String(opts.tier)),
          ...(typeof opts.id === 'string' ? { tenantId: opts.id } : {}),
        });
        const { sealedUsageKey: _sealed, ...shown } = tenant;
        out.result(shown, () => `created tenant ${tenant.tenantId} (${tenant.name}, tier ${tenant.tier})`);
      }),
    );

  program
    .command('list')
    .description('list the tenants')
    .action(
      run(async (admin, out) => {
        const tenants = await admin.listTenants();
        const shown = tenants.map(({ sealedUsageKey: _sealed, ...t }) => t);
        out.result(shown, () =>
          table([['TENANT', 'NAME', 'TIER', 'STATUS', 'CREATED'], ...tenants.map(tenantRow)]),
        );
      }),
    );

  program
    .command('keys:list')
    .argument('<tenantId>')
    .description('list a tenant’s keys (never their values)')
    .action(
      run(async (admin, out, [tenantId = '']) => {
        const keys = await admin.listKeys(tenantId);
        const now = Date.now();
        out.result(keys.map(publicKey), () =>
          table([
            ['KEY', 'SCOPES', 'STATUS', 'CREATED', 'NOT AFTER', 'REVOKED'],
            ...keys.map((k) => keyRow(k, now)),
          ]),
        );
      }),
    );

  program
    .command('keys:create')
    .argument('<tenantId>')
    .description('create a key; its value is printed this once')
    .option('--scopes <list>', 'comma-separated: read, write, admin', scopes, [
      'read',
      'write',
    ] satisfies Scope[])
    .action(
      run(async (admin, out, [tenantId = ''], opts) => {
        const given = Array.isArray(opts.scopes) ? opts.scopes.join(',') : String(opts.scopes);
        const { key, secret } = await admin.createKey(tenantId, scopes(given));
        out.result({ ...publicKey(key), key: secret }, () => secret);
        out.note(
          `key ${key.keyId} of ${tenantId} (${key.scopes.join(',')}): store it now, it is not shown again`,
        );
      }),
    );

  program
    .command('keys:rotate')
    .argument('<tenantId>')
    .argument('<keyId>')
    .description('create a new key with the same scopes; the old one works until now + the overlap')
    .option(
      '--overlap <duration>',
      'how long both keys work (90s, 30m, 24h, 7d)',
      parseDuration,
      24 * 3_600_000,
    )
    .action(
      run(async (admin, out, [tenantId = '', keyId = ''], opts) => {
        const { key, secret, old } = await admin.rotateKey(tenantId, keyId, Number(opts.overlap));
        out.result({ ...publicKey(key), key: secret, old: publicKey(old) }, () => secret);
        out.note(
          `new key ${key.keyId}; ${old.keyId} works until ${old.notAfter}. The new value is not shown again.`,
        );
      }),
    );

  program
    .command('keys:revoke')
    .argument('<tenantId>')
    .argument('<keyId>')
    .description('refuse the key from now on (within the authorizer cache TTL)')
    .action(
      run(async (admin, out, [tenantId = '', keyId = '']) => {
        const key = await admin.revokeKey(tenantId, keyId);
        out.result(publicKey(key), () => `revoked ${key.keyId} of ${tenantId} at ${key.revokedAt}`);
      }),
    );

  program
    .command('tier:set')
    .argument('<tenantId>')
    .argument('<tier>', `one of ${TIERS.join(', ')}`, tier)
    .description('move the tenant to another tier (its key to that tier’s usage plan)')
    .action(
      run(async (admin, out, [tenantId = '', newTier = '']) => {
        const tenant = await admin.setTier(tenantId, tier(newTier));
        out.result({ tenantId, tier: tenant.tier }, () => `tenant ${tenantId} is on tier ${tenant.tier}`);
      }),
    );
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function runTenantsCli(
  argv: readonly string[],
  io: CliIo,
  adminFor = defaultAdminFor,
): Promise<number> {
  const state: { exitCode: number } = { exitCode: EXIT.ok };
  try {
    await buildTenantsProgram(io, state, adminFor).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    io.stderr.write(`error: ${describeError(error)}\n`);
    if (error instanceof UsageError || error instanceof RangeError) return EXIT.usage;
    if (error instanceof TenantNotFoundError) return EXIT.notFound;
    if (error instanceof TenantExistsError) return EXIT.exists;
    return EXIT.failed;
  }
}
