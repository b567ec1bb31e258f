#!/usr/bin/env node
// `npm run audit:verify -- --tenant <id> [--target local | --stage <name>]`: re-reads a tenant's whole
// ledger, checks chains, digests, snapshots and read models, prints a signed JSON report on stdout.
// Exit code 0 when clean, 1 on any finding, 2 on a usage error.
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { auditTenant, signReport } from '../lambdas/application/audit.ts';
import { auditSource } from './audit-source.ts';
import { describeError } from './errors.ts';
import { projectionTarget } from './projection-target.ts';
import { type GlobalOptions, resolveTarget, withTargetOptions } from './target.ts';

/** Runs `audit:verify` on `argv`; returns the exit code. */
export async function runAudit(
  argv: readonly string[],
  io: {
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
    readonly projectRoot: string;
  },
): Promise<number> {
  const program = withTargetOptions(
    new Command('audit:verify')
      .description("Verify a tenant's ledger: hash chains, digests, snapshots, balances and read models")
      .requiredOption('--tenant <id>', 'the tenant to audit'),
  )
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    return error instanceof CommanderError && error.code === 'commander.helpDisplayed' ? 0 : 2;
  }
  const options = program.opts<GlobalOptions & { tenant: string }>();
  try {
    const target = await resolveTarget(options, io.projectRoot);
    const tables = await projectionTarget(target);
    const source = auditSource(target, tables);
    try {
      const key = await source.key();
      const report = signReport(await auditTenant(source, options.tenant, key, new Date()), key);
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.ok ? 0 : 1;
    } finally {
      source.destroy();
      tables.destroy();
    }
  } catch (error) {
    io.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await runAudit(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    projectRoot: join(import.meta.dirname, '..'),
  });
}
