import type { Store } from '../store/db.js';
import { newToken, parseMasterKey, sha256 } from '../util/secrets.js';
import type { Config } from './config.js';

export interface Secrets {
  adminTokenHash: string;
  ingestTokenHash: string;
  masterKey: Buffer;
  /** Tokens made on this start, to print once; empty on later starts. */
  generated: { adminToken?: string; ingestToken?: string; masterKey?: boolean };
}

/**
 * Tokens and the master key: from the config when set, else from the database, else made now
 * and stored. Tokens are stored only as hashes (printed once, never readable again); the master
 * key is stored as is, so set HEARTHOOK_MASTER_KEY in production to keep it out of the database.
 */
export async function bootstrapSecrets(store: Store, config: Config): Promise<Secrets> {
  return store.transaction(async (tx) => {
    const setting = async (key: string) =>
      (await tx.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value;
    // Stores a value made now unless another process stored one first (several nodes starting at
    // once on PostgreSQL, where this transaction locks nothing), and returns the one that won.
    const save = async (key: string, value: string) => {
      await tx.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
      return (await setting(key))!;
    };
    const generated: Secrets['generated'] = {};

    const tokenHash = async (key: string, configured: string | undefined, prefix: string) => {
      if (configured) return sha256(configured);
      const stored = await setting(key);
      if (stored) return stored;
      const token = newToken(prefix);
      const hash = await save(key, sha256(token));
      if (hash === sha256(token)) generated[key === 'admin_token_sha256' ? 'adminToken' : 'ingestToken'] = token;
      return hash;
    };
    const adminTokenHash = await tokenHash('admin_token_sha256', config.adminToken, 'hha_');
    const ingestTokenHash = await tokenHash('ingest_token_sha256', config.ingestToken, 'hhi_');

    let masterKeyText = config.masterKey ?? (await setting('master_key'));
    if (!masterKeyText) {
      const made = (await import('node:crypto')).randomBytes(32).toString('base64');
      masterKeyText = await save('master_key', made);
      generated.masterKey = masterKeyText === made;
    }
    return { adminTokenHash, ingestTokenHash, masterKey: parseMasterKey(masterKeyText), generated };
  });
}
