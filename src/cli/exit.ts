import type { Command } from 'commander';
import { ConfigError } from '../config/config.js';

/** Exit code for a command line that cannot be run as written (a bad flag or setting). */
export const BAD_USAGE = 2;
/** Exit code for a start-up or run that failed (database, file, master key, port). */
export const FAILED = 1;

/**
 * Prints an error as one line naming what to fix and exits non-zero: 2 for a bad setting, 1 for
 * anything else that stopped the command.
 */
export function exitWithError(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`hearthook: ${message}\n`);
  process.exit(err instanceof ConfigError ? BAD_USAGE : FAILED);
}

/** Commander exits with 1 on a bad flag; our CLI's convention for bad usage is 2. */
export function badFlagsExitWithUsage(command: Command): Command {
  return command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : BAD_USAGE));
}
