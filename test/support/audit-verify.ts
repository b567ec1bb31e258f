// `npm run audit:verify` as an operator runs it, against a local runtime's state file: exit code, the JSON
// report it printed (null when stdout was not JSON) and stderr.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { apiClient } from './http-api.ts';
import { waitFor } from './wait-for.ts';

const ENTRY = join(import.meta.dirname, '..', '..', 'cli', 'audit.ts');

/** Runs `audit:verify --tenant <tenant> --state-file <stateFile>`; `R` is the report's type for the caller. */
export function auditVerify<R = unknown>(
  tenant: string,
  stateFile: string,
): Promise<{ code: number; report: R | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ENTRY, '--tenant', tenant, '--state-file', stateFile],
      { timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        let report: R | null = null;
        try {
          report = JSON.parse(stdout) as R;
        } catch {
          // Left null: the assertion shows it.
        }
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, report, stderr });
      },
    );
  });
}

/**
 * A ledger for an audit to read: a USD account with `deposits` deposits (1, 2, … minor units), once its
 * view has caught up with the events (version `deposits + 1`). Returns the account's id.
 */
export async function depositedAccount(api: ReturnType<typeof apiClient>, deposits: number): Promise<string> {
  const opened = await api<{ id: string }>('POST', '/accounts', { currency: 'USD' });
  expect(opened.status).toBe(201);
  const accountId = opened.json.id;
  for (let i = 1; i <= deposits; i++) {
    const deposit = await api('POST', `/accounts/${accountId}/deposits`, { amount: i, currency: 'USD' });
    expect(deposit.status).toBe(201);
  }
  await waitFor(
    async () =>
      (await api<{ version: number }>('GET', `/accounts/${accountId}`)).json.version === deposits + 1,
    { timeoutMs: 60_000, what: `the account view at version ${deposits + 1}` },
  );
  return accountId;
}
