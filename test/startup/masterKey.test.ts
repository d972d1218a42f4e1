import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENCRYPTED_COLUMNS, keyCheckValue, resolveMasterKey, rotateMasterKey } from '../../src/config/masterKey.js';
import { Encrypter } from '../../src/util/secrets.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const KEY = Buffer.alloc(32, 3).toString('base64');
const OTHER = Buffer.alloc(32, 4).toString('base64');

describe('the master key check', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook({ masterKey: KEY });
    await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/hooks' });
  });
  afterEach(() => hh.close());

  it('stores a check value derived from the key, never the key', async () => {
    const rows = await hh.rt.store.all<{ key: string; value: string }>('SELECT key, value FROM settings');
    expect(rows.find((r) => r.key === 'master_key_check')?.value).toBe(keyCheckValue(Buffer.from(KEY, 'base64')));
    expect(rows.some((r) => r.value.includes(KEY) || r.key === 'master_key')).toBe(false);
  });

  it('refuses another key, naming HEARTHOOK_MASTER_KEY', async () => {
    await expect(hh.rt.store.transaction((tx) => resolveMasterKey(tx, OTHER))).rejects.toThrow(/^HEARTHOOK_MASTER_KEY is not the key/);
  });

  it('on a database from before check values, tells a wrong key by a secret it cannot decrypt', async () => {
    await hh.rt.store.run("DELETE FROM settings WHERE key = 'master_key_check'");
    await expect(hh.rt.store.transaction((tx) => resolveMasterKey(tx, OTHER))).rejects.toThrow(/HEARTHOOK_MASTER_KEY/);
    expect(await hh.rt.store.get("SELECT value FROM settings WHERE key = 'master_key_check'")).toBeUndefined();
    await hh.rt.store.transaction((tx) => resolveMasterKey(tx, KEY));
    expect(await hh.rt.store.get("SELECT value FROM settings WHERE key = 'master_key_check'")).toBeDefined();
  });

  it('rotates all or nothing: a value the current key cannot open leaves every row as it was', async () => {
    await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/other' });
    const before = await hh.rt.store.all<{ id: string; secret_enc: string }>('SELECT id, secret_enc FROM webhooks ORDER BY id');
    // One secret encrypted under a key that is not the database's (a corrupt row).
    await hh.rt.store.run('UPDATE webhooks SET api_key_enc = ? WHERE id = ?', [new Encrypter(Buffer.from(OTHER, 'base64')).encrypt('x'), before[1].id]);
    await expect(rotateMasterKey(hh.rt.store, KEY, OTHER)).rejects.toThrow();
    expect(await hh.rt.store.all('SELECT id, secret_enc FROM webhooks ORDER BY id')).toEqual(before);
    expect(await hh.rt.store.transaction((tx) => resolveMasterKey(tx, KEY))).toMatchObject({ source: 'configured' });
  });
});

describe('ENCRYPTED_COLUMNS', () => {
  it('lists every column a migration names *_enc, so rotate-master-key re-encrypts all of them', () => {
    const listed = new Set(Object.values(ENCRYPTED_COLUMNS).flatMap(([, columns]) => columns));
    for (const engine of ['sqlite', 'postgres']) {
      for (const file of readdirSync(`migrations/${engine}`)) {
        const columns = readFileSync(`migrations/${engine}/${file}`, 'utf8').match(/\b\w+_enc\b/g) ?? [];
        for (const column of columns) expect(listed, `${column} in ${engine}/${file}`).toContain(column);
      }
    }
  });
});
