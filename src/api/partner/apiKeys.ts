import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { newId } from '../../util/ids.js';
import { sha256 } from '../../util/secrets.js';
import { HttpError } from '../httpError.js';
import { iso, problems } from '../schemas.js';

/** Partner keys live 6 months (DOMAIN.md), counted as 183 days so the answer never depends on the month. */
export const API_KEY_LIFETIME_MS = 183 * 24 * 60 * 60 * 1000;
/** At most this many unexpired keys per company (DOMAIN.md). */
export const MAX_API_KEYS = 10;

export interface MintedKey {
  id: string;
  apiKey: string;
  expiresAt: string;
}

export const mintedKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    apiKey: { type: 'string', description: 'xHCSAPI…; shown only once, stored only as a hash' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'apiKey', 'expiresAt'],
} as const;

/**
 * Makes a new API key for a company: `xHCSAPI` + 40 base64url characters (240 random bits),
 * stored only as its sha256 with a short prefix to tell keys apart. Refuses (409) an 11th
 * unexpired key. The caller has checked that the company exists.
 *
 * @example const { apiKey } = await mintApiKey(rt, 'cmp_…');
 */
export async function mintApiKey(rt: Runtime, companyId: string): Promise<MintedKey> {
  const now = rt.clock.now();
  const apiKey = 'xHCSAPI' + randomBytes(30).toString('base64url');
  const id = newId('key');
  const expiresAt = now + API_KEY_LIFETIME_MS;
  await rt.store.transaction(async (tx) => {
    // A no-op write on the company row locks it on PostgreSQL, so two concurrent mints cannot
    // both count 9 keys and make 11; on SQLite the transaction is serialised anyway.
    await tx.run('UPDATE companies SET name = name WHERE id = ?', [companyId]);
    const live = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE company_id = ? AND expires_at > ?', [
      companyId,
      now,
    ]);
    if (Number(live?.n ?? 0) >= MAX_API_KEYS) {
      throw new HttpError(409, `the company already has ${MAX_API_KEYS} unexpired API keys; wait for one to expire`);
    }
    await tx.run(
      'INSERT INTO api_keys (id, company_id, key_hash, key_prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [id, companyId, sha256(apiKey), apiKey.slice(0, 12), now, expiresAt],
    );
  });
  return { id, apiKey, expiresAt: iso(expiresAt) };
}

const security = [{ partnerKey: [] }];
const tags = ['API keys'];

/** `GET /v1/api-keys/me` and `POST /v1/api-keys` (rotation: the old key stays valid until it expires). */
export function apiKeyRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get(
    '/api-keys/me',
    {
      schema: {
        tags,
        security,
        operationId: 'getCurrentApiKey',
        description: 'Who the caller is: the company the x-api-key belongs to and when the key expires.',
        summary: 'The calling API key: its company and expiry',
        response: {
          200: {
            type: 'object',
            properties: { companyId: { type: 'string' }, keyId: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
          ...problems(),
        },
      },
    },
    async (request) => {
      // The auth hook has checked the key; read it again for its id and expiry.
      const key = await rt.store.get<{ id: string; company_id: string; expires_at: number }>(
        'SELECT id, company_id, expires_at FROM api_keys WHERE key_hash = ?',
        [sha256(String(request.headers['x-api-key']))],
      );
      if (!key) throw new HttpError(401, 'the API key is unknown or expired');
      return { companyId: key.company_id, keyId: key.id, expiresAt: iso(key.expires_at) };
    },
  );

  app.post(
    '/api-keys',
    {
      schema: {
        tags,
        security,
        operationId: 'createApiKey',
        description: 'Mints another API key for the calling company (rotation: make a new one, switch over, let the old one expire), shown only in this answer. 409 when the company already has the most unexpired keys allowed.',
        summary: `Mint a new API key for the calling company (at most ${MAX_API_KEYS} unexpired)`,
        response: { 201: mintedKeySchema, ...problems(409) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return mintApiKey(rt, request.companyId);
    },
  );
}
