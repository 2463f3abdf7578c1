// The one `scalefold` command-line dispatcher: `npm run -s scalefold -- <command>`.
// trainer/ is the top of the import graph, so it may reach every subcommand.
import { EXIT_BAD_INPUT, EXIT_USAGE, UsageError, type Command } from '../pipeline/cli/command.ts';
import { InputError } from '../features/errors.ts';
import { COMMANDS } from './commands/registry.ts';

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: npm run -s scalefold -- <command> [options]

ScaleFold: AlphaFold2 features, dataset validation and training.
Logs go to stderr; results and --json output go to stdout.
Exit codes: 0 success, 1 bad input or failed work, 2 usage error.

commands:
${lines.join('\n')}

Run 'npm run -s scalefold -- <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(COMMANDS) + '\n');
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`scalefold: unknown command '${name}'\n\n${usage(COMMANDS)}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`scalefold ${name}: ${error.message}\n\n${command.help}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof InputError) {
      process.stderr.write(`scalefold ${name}: error: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
