#!/usr/bin/env node
// `npm run tenants -- <command>`: the tenants operator CLI (commands in tenants-program.ts).
import { join } from 'node:path';
import { runTenantsCli } from './tenants-program.ts';

process.exitCode = await runTenantsCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  projectRoot: join(import.meta.dirname, '..'),
});
