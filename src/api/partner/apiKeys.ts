import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import { sha256 } from '../../util/secrets.js';
import { HttpError } from '../httpError.js';
import { iso, problems } from '../schemas.js';
import { apiKeyJson, apiKeyListSchema, listApiKeys, MAX_API_KEYS, mintApiKey, mintedKeySchema, revokeApiKey } from './apiKeyRows.js';

export { API_KEY_LIFETIME_MS, MAX_API_KEYS, type MintedKey, mintApiKey, mintedKeySchema } from './apiKeyRows.js';

const security = [{ partnerKey: [] }];
const tags = ['API keys'];

/**
 * `GET /v1/api-keys/me`, `GET /v1/api-keys`, `POST /v1/api-keys` (rotation: the old key stays
 * valid until it expires or is revoked) and `DELETE /v1/api-keys/{keyId}`.
 */
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
      if (!key) throw new HttpError(401, 'the API key is unknown, revoked or expired');
      return { companyId: key.company_id, keyId: key.id, expiresAt: iso(key.expires_at) };
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags,
        security,
        operationId: 'listApiKeys',
        summary: "The calling company's unexpired API keys",
        description: 'Each key with its id, its first 12 characters, who minted it, when, its expiry and when it was last used (to the minute). Never the key itself.',
        response: { 200: apiKeyListSchema, ...problems() },
      },
    },
    async (request) => ({ data: (await listApiKeys(rt.store, request.companyId, rt.clock.now())).map(apiKeyJson) }),
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
      return mintApiKey(rt, request.companyId, 'partner', actorOf(request));
    },
  );

  app.delete<{ Params: { keyId: string } }>(
    '/api-keys/:keyId',
    {
      schema: {
        tags,
        security,
        operationId: 'revokeApiKey',
        summary: 'Revoke one of the calling company’s API keys',
        description: 'The key is refused (401) from the next request on, on every node. A key may revoke itself.',
        params: { type: 'object', properties: { keyId: { type: 'string' } }, required: ['keyId'] },
        response: { 204: { type: 'null', description: 'revoked' }, ...problems(404) },
      },
    },
    async (request, reply) => {
      await revokeApiKey(rt, request.companyId, request.params.keyId, actorOf(request));
      return reply.code(204).send();
    },
  );
}
