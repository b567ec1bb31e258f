// What every command's action gets: the output, the global flags, and the target (resolved on first use).
import { type Command, InvalidArgumentError } from 'commander';
import { Output, type OutputStream } from './output.ts';
import { type GlobalOptions, type OperatorTarget, resolveTarget } from './target.ts';

/** The process around one CLI run (tests pass their own). */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  /** The repository `npm start` runs in: where its state file is. */
  readonly projectRoot: string;
}

/** One command run. */
export interface CommandContext {
  readonly out: Output;
  readonly options: GlobalOptions;
  readonly io: CliIo;
  /** The target the global flags name. */
  target(): Promise<OperatorTarget>;
}

/** An action's body: returns the exit code (0 when nothing is returned). */
export type Handler = (
  context: CommandContext,
  args: readonly string[],
  options: Readonly<Record<string, unknown>>,
) => Promise<number | undefined>;

/** Wraps a handler as a commander action; its exit code lands in `state.exitCode`. */
export function action(io: CliIo, state: { exitCode: number }, handler: Handler) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals() as GlobalOptions;
    let target: Promise<OperatorTarget> | undefined;
    const context: CommandContext = {
      out: new Output({ json: options.json === true, stdout: io.stdout, stderr: io.stderr, env: io.env }),
      options,
      io,
      target: () => {
        target ??= resolveTarget(options, io.projectRoot);
        return target;
      },
    };
    state.exitCode = (await handler(context, command.processedArgs as string[], command.opts())) ?? 0;
  };
}

/** A command group registers its subcommands on `parent`; `run` wraps their actions. */
export type Register = (
  parent: Command,
  run: (handler: Handler) => (...args: unknown[]) => Promise<void>,
) => void;

/** A commander parser for a whole number within bounds (a bad value is a usage error, exit code 2). */
export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
