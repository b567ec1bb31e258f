// The `ledgerline` command tree (commander): global flags, help at every level, exit codes 0/1/2.
import { Command, CommanderError } from 'commander';
import { action, type CliIo, type Handler } from './context.ts';
import { registerDlq } from './dlq.ts';
import { registerDoctor } from './doctor.ts';
import { describeError, UsageError } from './errors.ts';
import { colorsAllowed } from './output.ts';
import { registerProjections } from './projections.ts';
import { registerSaga } from './saga.ts';
import { withTargetOptions } from './target.ts';

// A group run without a subcommand shows its help on stderr and exits 2 (commander's 'commander.help').
/** commander's codes for help that was asked for (exit 0). */
const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version']);

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** The program; `state.exitCode` is set by the action that runs. */
export function buildProgram(io: CliIo, state: { exitCode: number }): Command {
  const program = withTargetOptions(
    new Command('ledgerline').description(
      'Operate a Ledgerline stack: dead-letter queues, read models, the payment saga.',
    ),
  )
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'show stack traces of failures')
    .addHelpText('after', '\nWith neither --target nor --stage, the target is local.')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(colorsAllowed(io.stderr, io.env) ? text.replace(/^error:/, '\u001b[31merror:\u001b[0m') : text),
    })
    .exitOverride();
  const run = (handler: Handler) => action(io, state, handler);
  registerDlq(program, run);
  registerProjections(program, run);
  registerSaga(program, run);
  registerDoctor(program, run);
  for (const command of allCommands(program)) {
    command.showHelpAfterError(
      `Usage: ${fullName(command)} ${command.usage()}\nRun '${fullName(command)} --help' for details.`,
    );
  }
  return program;
}

/** Runs the CLI on `argv` (without node and the script); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return HELP_CODES.has(error.code) ? 0 : 2;
    const red = (text: string) => (colorsAllowed(io.stderr, io.env) ? `\u001b[31m${text}\u001b[0m` : text);
    io.stderr.write(`${red('error:')} ${describeError(error)}\n`);
    if (program.opts().debug) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    else io.stderr.write('(run with --debug for the stack trace)\n');
    return error instanceof UsageError ? 2 : 1;
  }
}
