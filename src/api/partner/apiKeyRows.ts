import { randomBytes } from 'node:crypto';
import { recordAudit } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { newId } from '../../util/ids.js';
import { sha256 } from '../../util/secrets.js';
import { HttpError, notFound } from '../httpError.js';
import { iso } from '../schemas.js';

/** Partner keys live 6 months (DOMAIN.md), counted as 183 days so the answer never depends on the month. */
export const API_KEY_LIFETIME_MS = 183 * 24 * 60 * 60 * 1000;
/** At most this many unexpired keys per company (DOMAIN.md). */
export const MAX_API_KEYS = 10;

export type Minter = 'operator' | 'partner';

interface ApiKeyRow {
  id: string;
  company_id: string;
  key_prefix: string;
  minted_by: Minter;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
}

/** A key as listings show it: never the key, only its first characters. */
export function apiKeyJson(row: ApiKeyRow) {
  return {
    id: row.id,
    prefix: row.key_prefix,
    mintedBy: row.minted_by,
    createdAt: iso(Number(row.created_at)),
    expiresAt: iso(Number(row.expires_at)),
    lastUsedAt: row.last_used_at === null ? null : iso(Number(row.last_used_at)),
  };
}

export const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    prefix: { type: 'string', description: 'the first 12 characters of the key, to tell keys apart' },
    mintedBy: { type: 'string', enum: ['operator', 'partner'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time', description: 'to the minute; null if never used' },
  },
  required: ['id', 'prefix', 'mintedBy', 'createdAt', 'expiresAt', 'lastUsedAt'],
} as const;

export const apiKeyListSchema = { type: 'object', properties: { data: { type: 'array', items: apiKeySchema } }, required: ['data'] } as const;

export interface MintedKey {
  id: string;
  apiKey: string;
  expiresAt: string;
  /** The partner-minted key the operator's mint revoked to make room, if it had to. */
  revokedKeyId?: string;
}

export const mintedKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    apiKey: { type: 'string', description: 'xHCSAPI…; shown only once, stored only as a hash' },
    expiresAt: { type: 'string', format: 'date-time' },
    revokedKeyId: { type: 'string', description: 'operator mints only: the oldest partner-minted key, revoked to stay within 10' },
  },
  required: ['id', 'apiKey', 'expiresAt'],
} as const;

const COLUMNS = `k.id, k.company_id, k.key_prefix, k.minted_by, k.created_at, k.expires_at, u.last_used_at
  FROM api_keys k LEFT JOIN api_key_uses u ON u.key_id = k.id`;

/** The company's unexpired keys, oldest first. */
export function listApiKeys(db: Db, companyId: string, now: number): Promise<ApiKeyRow[]> {
  return db.all<ApiKeyRow>(
    `SELECT ${COLUMNS} WHERE k.company_id = ? AND k.expires_at > ? ORDER BY k.created_at, k.id`,
    [companyId, now],
  );
}

/**
 * Makes a new API key for a company: `xHCSAPI` + 40 base64url characters (240 random bits),
 * stored only as its sha256 with a short prefix to tell keys apart. A company holds at most 10
 * unexpired keys. A partner minting an 11th gets 409; the operator always gets its key: at 10 it
 * revokes the company's oldest partner-minted key (the oldest key, if the operator minted all
 * ten), so a partner can neither lock out its operator nor, with a leaked key, keep a slot the
 * operator cannot take back. The caller has checked that the company exists.
 *
 * @example const { apiKey } = await mintApiKey(rt, 'cmp_…', 'operator', 'operator');
 */
export async function mintApiKey(rt: Runtime, companyId: string, mintedBy: Minter, actor: string): Promise<MintedKey> {
  const now = rt.clock.now();
  const apiKey = 'xHCSAPI' + randomBytes(30).toString('base64url');
  const id = newId('key');
  const expiresAt = now + API_KEY_LIFETIME_MS;
  let revokedKeyId: string | undefined;
  await rt.store.transaction(async (tx) => {
    // A no-op write on the company row locks it on PostgreSQL, so two concurrent mints cannot
    // both count 9 keys and make 11; on SQLite the transaction is serialised anyway.
    await tx.run('UPDATE companies SET name = name WHERE id = ?', [companyId]);
    const live = await listApiKeys(tx, companyId, now);
    if (live.length >= MAX_API_KEYS) {
      if (mintedBy === 'partner') {
        throw new HttpError(409, `cap reached: api keys (${MAX_API_KEYS} unexpired per company); revoke one with DELETE /v1/api-keys/{keyId}`);
      }
      const victim = live.find((k) => k.minted_by === 'partner') ?? live[0];
      await revokeKey(tx, victim, actor, now);
      revokedKeyId = victim.id;
    }
    await tx.run(
      'INSERT INTO api_keys (id, company_id, key_hash, key_prefix, created_at, expires_at, minted_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [id, companyId, sha256(apiKey), apiKey.slice(0, 12), now, expiresAt, mintedBy],
    );
    const after = { id, prefix: apiKey.slice(0, 12), mintedBy, expiresAt: iso(expiresAt) };
    await recordAudit(tx, actor, now, { companyId, action: 'api_key.create', target: id, after });
  });
  return { id, apiKey, expiresAt: iso(expiresAt), ...(revokedKeyId ? { revokedKeyId } : {}) };
}

/**
 * Revokes (deletes) one of the company's keys: the next request with it is a 401 on every node,
 * since no node caches keys. 404 when the company has no such key.
 */
export async function revokeApiKey(rt: Runtime, companyId: string, keyId: string, actor: string): Promise<void> {
  const now = rt.clock.now();
  await rt.store.transaction(async (tx) => {
    const row = await tx.get<ApiKeyRow>(
      `SELECT ${COLUMNS} WHERE k.id = ? AND k.company_id = ?`,
      [keyId, companyId],
    );
    if (!row) throw notFound('API key');
    await revokeKey(tx, row, actor, now);
  });
}

async function revokeKey(tx: Db, row: ApiKeyRow, actor: string, now: number): Promise<void> {
  await tx.run('DELETE FROM api_keys WHERE id = ?', [row.id]);
  await tx.run('DELETE FROM api_key_uses WHERE key_id = ?', [row.id]);
  await recordAudit(tx, actor, now, { companyId: row.company_id, action: 'api_key.revoke', target: row.id, before: apiKeyJson(row) });
}
