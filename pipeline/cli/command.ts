// The shape of one `scalefold` subcommand and the argument handling they share.
// Exit codes: 0 success, 1 bad input (or failed work), 2 usage error.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full usage text printed by `--help`. */
  help: string;
  run(args: string[]): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** True when --help was given: the caller prints help and returns. */
  help: boolean;
}

/** Strict option parsing: unknown options and missing values are usage errors. */
export function parseCommandArgs(args: string[], options: Options, allowPositionals = false): ParsedArgs {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    const values = parsed.values as ParsedArgs['values'];
    return { values, positionals: parsed.positionals, help: values.help === true };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function requireString(values: ParsedArgs['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function optionalInteger(values: ParsedArgs['values'], name: string, min = 0): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(parsed) || parsed < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(value)}'`);
  }
  return parsed;
}
