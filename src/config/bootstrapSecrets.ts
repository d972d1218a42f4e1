import type { Store } from '../store/db.js';
import { newToken, sha256 } from '../util/secrets.js';
import type { Config } from './config.js';
import { type KeySource, resolveMasterKey, saveSetting } from './masterKey.js';

export interface Secrets {
  adminTokenHash: string;
  ingestTokenHash: string;
  masterKey: Buffer;
  /** Tokens made on this start, to print once; empty on later starts. */
  generated: { adminToken?: string; ingestToken?: string; masterKey?: boolean };
  /** Where each credential came from, for the start-up log (never the values). */
  sources: { adminToken: KeySource; ingestToken: KeySource; masterKey: KeySource };
}

const TOKEN_SETTINGS = { adminToken: 'admin_token_sha256', ingestToken: 'ingest_token_sha256' } as const;

/**
 * Tokens and the master key: from the config when set, else from the database, else made now
 * and stored. Tokens are stored only as hashes (printed once, never readable again); the master
 * key is stored as is, so set HEARTHOOK_MASTER_KEY in production to keep it out of the database.
 * A master key that is not the database's refuses start-up (see `resolveMasterKey`).
 */
export async function bootstrapSecrets(store: Store, config: Config): Promise<Secrets> {
  return store.transaction(async (tx) => {
    const generated: Secrets['generated'] = {};
    const tokenHash = async (name: keyof typeof TOKEN_SETTINGS, prefix: string): Promise<[string, KeySource]> => {
      const configured = config[name];
      if (configured) return [sha256(configured), 'configured'];
      const token = newToken(prefix);
      // Another process may have stored one first (several nodes starting at once on PostgreSQL).
      const hash = await saveSetting(tx, TOKEN_SETTINGS[name], sha256(token));
      if (hash !== sha256(token)) return [hash, 'stored'];
      generated[name] = token;
      return [hash, 'generated'];
    };
    const [adminTokenHash, adminSource] = await tokenHash('adminToken', 'hha_');
    const [ingestTokenHash, ingestSource] = await tokenHash('ingestToken', 'hhi_');
    const master = await resolveMasterKey(tx, config.masterKey);
    if (master.source === 'generated') generated.masterKey = true;
    return {
      adminTokenHash,
      ingestTokenHash,
      masterKey: master.key,
      generated,
      sources: { adminToken: adminSource, ingestToken: ingestSource, masterKey: master.source },
    };
  });
}

/**
 * Forgets tokens made on a start that then failed (e.g. its port was taken): they were never
 * shown, so nobody could use them, and the next start makes and prints new ones.
 */
export async function forgetGeneratedTokens(store: Store, secrets: Pick<Secrets, 'generated'>): Promise<void> {
  for (const name of ['adminToken', 'ingestToken'] as const) {
    const token = secrets.generated[name];
    if (token) await store.run('DELETE FROM settings WHERE key = ? AND value = ?', [TOKEN_SETTINGS[name], sha256(token)]);
  }
}
