import { createHmac, randomBytes } from 'node:crypto';
import type { Db, Store } from '../store/db.js';
import { Encrypter, parseMasterKey } from '../util/secrets.js';
import { ConfigError } from './config.js';

/**
 * Every column holding a value encrypted with the master key, as `table: [id column, columns]`.
 * `rotate-master-key` re-encrypts exactly these; a test fails when a migration adds an `_enc`
 * column that is not listed here.
 */
export const ENCRYPTED_COLUMNS: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  webhooks: ['id', ['api_key_enc', 'secret_enc', 'previous_secret_enc']],
};

/** Where the key is kept when the operator sets none (development); production sets the variable. */
const STORED_KEY = 'master_key';
/** A value derived from the key, never the key: tells a wrong key at start-up, before any use. */
const CHECK_VALUE = 'master_key_check';

/**
 * The key check value of a master key: an HMAC of a fixed text under the key. It shows whether
 * a key is the database's without revealing the key (HMAC-SHA256 is a PRF).
 *
 * @example keyCheckValue(randomBytes(32)) // 'kcv1.3f9a…' (64 hex digits)
 */
export function keyCheckValue(key: Buffer): string {
  return `kcv1.${createHmac('sha256', key).update('hearthook master key check').digest('hex')}`;
}

const mismatch = () =>
  new ConfigError(
    'HEARTHOOK_MASTER_KEY is not the key this database was encrypted with (its key check value differs). ' +
      'Start with the key the database was set up with; to change keys use `hearthook rotate-master-key`.',
  );

/**
 * The master key to run with, checked against the database: from the config when set, else the
 * one stored in the database, else made now and stored (first start without a key). A key that
 * is not the database's refuses start-up naming `HEARTHOOK_MASTER_KEY`, before anything is
 * encrypted or decrypted with it. A database from before key check values (migration 011) is
 * checked by decrypting one of its secrets, then gets its check value.
 */
export async function resolveMasterKey(tx: Db, configured: string | undefined): Promise<{ key: Buffer; source: KeySource }> {
  const check = await readSetting(tx, CHECK_VALUE);
  const stored = await readSetting(tx, STORED_KEY);
  let text = configured ?? stored;
  let source: KeySource = configured ? 'configured' : 'stored';
  if (!text) {
    if (check || (await firstEncryptedValue(tx))) {
      throw new ConfigError('HEARTHOOK_MASTER_KEY is not set, and this database holds secrets encrypted with a key it does not store: set it');
    }
    text = await saveSetting(tx, STORED_KEY, randomBytes(32).toString('base64'));
    source = 'generated';
  }
  const key = parseKey(text);
  if (check) {
    if (check !== keyCheckValue(key)) throw mismatch();
    return { key, source };
  }
  const sample = await firstEncryptedValue(tx);
  if (sample !== undefined && !decrypts(key, sample)) throw mismatch();
  if ((await saveSetting(tx, CHECK_VALUE, keyCheckValue(key))) !== keyCheckValue(key)) throw mismatch(); // another node's key won
  return { key, source };
}

export type KeySource = 'configured' | 'stored' | 'generated';

/**
 * Re-encrypts every secret (`ENCRYPTED_COLUMNS`) from the current key to a new one in one
 * transaction, and stores the new key check value. A stored key (no `HEARTHOOK_MASTER_KEY` set)
 * is replaced by the new one; a configured one is not stored, the operator sets the new one.
 * Every value is decrypted first: a key that does not open one of them changes nothing.
 *
 * @example
 * const { reencrypted } = await rotateMasterKey(store, process.env.HEARTHOOK_MASTER_KEY, newKeyText);
 */
export async function rotateMasterKey(store: Store, configured: string | undefined, newKeyText: string): Promise<{ reencrypted: number; stored: boolean }> {
  const newKey = parseKey(newKeyText, 'the new master key');
  return store.transaction(async (tx) => {
    const { key, source } = await resolveMasterKey(tx, configured);
    if (source === 'generated') throw new ConfigError('this database has no master key yet: there is nothing to rotate');
    const from = new Encrypter(key);
    const to = new Encrypter(newKey);
    let reencrypted = 0;
    for (const [table, [idColumn, columns]] of Object.entries(ENCRYPTED_COLUMNS)) {
      const rows = await tx.all<Record<string, string | null>>(`SELECT ${[idColumn, ...columns].join(', ')} FROM ${table} ORDER BY ${idColumn} ${tx.dialect.lockRows}`);
      for (const row of rows) {
        const values = columns.map((column) => {
          const value = row[column];
          if (value === null) return null;
          reencrypted++;
          return to.encrypt(from.decrypt(value));
        });
        await tx.run(`UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE ${idColumn} = ?`, [...values, row[idColumn]]);
      }
    }
    await tx.run('UPDATE settings SET value = ? WHERE key = ?', [keyCheckValue(newKey), CHECK_VALUE]);
    const stored = source === 'stored';
    if (stored) await tx.run('UPDATE settings SET value = ? WHERE key = ?', [newKeyText, STORED_KEY]);
    else await tx.run('DELETE FROM settings WHERE key = ?', [STORED_KEY]);
    return { reencrypted, stored };
  });
}

function parseKey(text: string, name = 'HEARTHOOK_MASTER_KEY'): Buffer {
  try {
    return parseMasterKey(text);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
}

async function firstEncryptedValue(tx: Db): Promise<string | undefined> {
  for (const [table, [, columns]] of Object.entries(ENCRYPTED_COLUMNS)) {
    const row = await tx.get<{ value: string }>(`SELECT ${columns[0]} AS value FROM ${table} LIMIT 1`);
    if (row) return row.value;
  }
  return undefined;
}

function decrypts(key: Buffer, value: string): boolean {
  try {
    new Encrypter(key).decrypt(value);
    return true;
  } catch {
    return false;
  }
}

async function readSetting(tx: Db, key: string): Promise<string | undefined> {
  return (await tx.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value;
}

/** Stores a value unless another process stored one first (nodes starting at once); returns the winner. */
export async function saveSetting(tx: Db, key: string, value: string): Promise<string> {
  await tx.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
  return (await readSetting(tx, key))!;
}
