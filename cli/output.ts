// How the CLI writes: results on stdout (JSON with --json), progress and notes on stderr; colours only on a
// TTY and never with NO_COLOR (https://no-color.org); progress only when stderr is a TTY.

/** A stream as the output helpers need it. */
export interface OutputStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Whether `stream` may get colours: a TTY, and NO_COLOR unset or empty. */
export function colorsAllowed(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Color = keyof typeof CODES;

/** Writes results and notes for one command run. */
export class Output {
  readonly json: boolean;
  readonly #stdout: OutputStream;
  readonly #stderr: OutputStream;
  readonly #env: NodeJS.ProcessEnv;
  #progressShown = false;

  constructor(options: {
    readonly json: boolean;
    readonly stdout?: OutputStream;
    readonly stderr?: OutputStream;
    readonly env?: NodeJS.ProcessEnv;
  }) {
    this.json = options.json;
    this.#stdout = options.stdout ?? process.stdout;
    this.#stderr = options.stderr ?? process.stderr;
    this.#env = options.env ?? process.env;
  }

  /** `text` in `color` when stdout takes colours. */
  color(color: Color, text: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
    const target = stream === 'stdout' ? this.#stdout : this.#stderr;
    return colorsAllowed(target, this.#env) ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
  }

  /** A line on stdout. */
  line(text = ''): void {
    this.#endProgress();
    this.#stdout.write(`${text}\n`);
  }

  /** The result of a command: JSON with --json, else the human rendering. */
  result(value: unknown, human: () => string): void {
    this.#endProgress();
    if (this.json) this.#stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.#stdout.write(`${text}\n`);
    }
  }

  /** A note on stderr (always shown: warnings the operator must see). */
  note(text: string): void {
    this.#endProgress();
    this.#stderr.write(`${text}\n`);
  }

  /** Progress on one rewritten stderr line, on a TTY only. */
  progress(text: string): void {
    if (!this.#stderr.isTTY) return;
    this.#progressShown = true;
    this.#stderr.write(`\r${text}\u001b[K`);
  }

  /** A progress bar: `label [#####.....] 50% 5/10 rate/s`. */
  bar(label: string, done: number, total: number | null, perSecond?: number): void {
    const share = total ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    this.progress(
      `${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${total ? `${Math.round(share * 100)}%` : '?'} ${done}${total ? `/~${total}` : ''}${perSecond === undefined ? '' : ` ${perSecond}/s`}`,
    );
  }

  #endProgress(): void {
    if (!this.#progressShown) return;
    this.#progressShown = false;
    this.#stderr.write('\n');
  }
}

/** Rows as aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
