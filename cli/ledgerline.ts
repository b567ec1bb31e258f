#!/usr/bin/env node
// `ledgerline`: the operator CLI (`npx ledgerline --help`). The commands live in the modules next to this one.
import { join } from 'node:path';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  projectRoot: join(import.meta.dirname, '..'),
});
