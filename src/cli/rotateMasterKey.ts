import { randomBytes } from 'node:crypto';
import { type Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { rotateMasterKey } from '../config/masterKey.js';
import { describeDatabase, openStore } from '../store/openStore.js';
import { badFlagsExitWithUsage } from './exit.js';
import { settingFlag, settingsFromFlags } from './settingFlags.js';

/**
 * Adds `hearthook rotate-master-key`: re-encrypts every secret in the database under a new master
 * key, in one transaction. The current key comes from `HEARTHOOK_MASTER_KEY` (or the database,
 * when it stores its own); the new one from `--new-key` / `HEARTHOOK_NEW_MASTER_KEY`, else one
 * is made and printed once. Stop every node first; start them again with the new key.
 *
 * @example
 * HEARTHOOK_MASTER_KEY=$OLD HEARTHOOK_NEW_MASTER_KEY=$(openssl rand -base64 32) hearthook rotate-master-key
 */
export function rotateMasterKeyCommand(program: Command): void {
  const command = program
    .command('rotate-master-key')
    .description('re-encrypt every stored secret under a new master key, in one transaction (stop every node first)');
  command.addOption(settingFlag('database'));
  command.addOption(settingFlag('masterKey'));
  command.addOption(new Option('--new-key <key>', 'the new 32-byte key, base64 or hex (default: one made now and printed)').env('HEARTHOOK_NEW_MASTER_KEY'));
  badFlagsExitWithUsage(command).action(async (opts) => {
    const config = loadConfig(process.env, settingsFromFlags(opts));
    const newKey: string = opts.newKey ?? randomBytes(32).toString('base64');
    const store = await openStore(config.database);
    try {
      const { reencrypted, stored } = await rotateMasterKey(store, config.masterKey, newKey);
      const lines = [`re-encrypted ${reencrypted} secrets in ${describeDatabase(config.database)} under the new master key`];
      if (stored) lines.push('the database stores its key: the new one replaced it, nothing else to do');
      else if (opts.newKey) lines.push('start every node with the new key in HEARTHOOK_MASTER_KEY');
      else lines.push('start every node with this new key (shown only now; keep it):', `  HEARTHOOK_MASTER_KEY=${newKey}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await store.close();
    }
  });
}
