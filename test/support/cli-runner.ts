import { execFile } from 'node:child_process';

// biome-ignore lint/suspicious/noExplicitAny: a CLI's JSON output, checked by the assertions
export type CliJson = any;

/**
 * Runs a CLI entry (`cli/<name>.ts`) with `--json`, as an operator would, against the local runtime whose
 * state file is `stateFile`: its exit code, its parsed stdout (null when not JSON) and its stderr.
 */
export function runCliJson(
  entry: string,
  args: readonly string[],
  stateFile: string | undefined,
  timeoutMs = 150_000,
): Promise<{ code: number; json: CliJson; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args, '--json'],
      { env: { ...process.env, LEDGERLINE_STATE_FILE: stateFile ?? '' }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        let json: unknown = null;
        try {
          json = JSON.parse(stdout);
        } catch {
          // Left null: the assertion on it shows stdout's absence.
        }
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, json, stderr });
      },
    );
  });
}
