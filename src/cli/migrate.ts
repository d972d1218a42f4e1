import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { describeDatabase, openStore } from '../store/openStore.js';
import { badFlagsExitWithUsage } from './exit.js';
import { settingFlag } from './settingFlags.js';

/**
 * Adds `hearthook migrate`: applies the database migrations and exits (serve applies them too).
 *
 * @example
 * HEARTHOOK_DATABASE=postgres://hearthook@db/hearthook hearthook migrate
 * // database postgres://db/hearthook is up to date
 */
export function migrateCommand(program: Command): void {
  const command = program.command('migrate').description('apply database migrations and exit (serve also applies them)');
  command.addOption(settingFlag('database'));
  badFlagsExitWithUsage(command).action(async (opts) => {
    const config = loadConfig(process.env, { database: opts.database });
    const store = await openStore(config.database);
    await store.close();
    process.stdout.write(`database ${describeDatabase(config.database)} is up to date\n`);
  });
}
