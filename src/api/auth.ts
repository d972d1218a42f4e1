import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { secretsEqual, sha256 } from '../util/secrets.js';
import { HttpError } from './httpError.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The partner company an `x-api-key` belongs to (partner routes only). */
    companyId: string;
    /** The id of the calling partner key (partner routes only): the audit log's actor. */
    apiKeyId: string;
  }
}

/** `last_used_at` is rewritten at most this often per key, so a busy key costs no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/**
 * Checks a credential with the failed-authentication limit around it: an address blocked for
 * too many failures gets 429 before its credential is even looked at (so a guesser learns
 * nothing more), and each failure is counted (the one too many is answered 429, not 401).
 */
async function limitFailures(rt: Runtime, request: FastifyRequest, check: () => Promise<string | undefined>): Promise<void> {
  rt.limits.checkAuthAddress(request.ip);
  const failure = await check();
  if (failure === undefined) return;
  await rt.limits.authFailed(request.ip);
  throw new HttpError(401, failure);
}

/** `Authorization: Bearer <admin token>`. */
export function requireAdmin(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    await limitFailures(rt, request, async () => {
      const token = bearer(request);
      if (!token || !secretsEqual(sha256(token), rt.adminTokenHash)) {
        return 'a valid operator token is required (Authorization: Bearer <admin token>)';
      }
    });
  };
}

/** `Authorization: Bearer <ingest token>`. */
export function requireIngest(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    await limitFailures(rt, request, async () => {
      const token = bearer(request);
      if (!token || !secretsEqual(sha256(token), rt.ingestTokenHash)) {
        return 'a valid ingest token is required (Authorization: Bearer <ingest token>)';
      }
    });
  };
}

/**
 * `x-api-key: xHCSAPI…`, not expired and not revoked; sets `request.companyId` and
 * `request.apiKeyId`. There is no cache: the key is read from the database on every request, so
 * a revoked key (its row deleted) is refused at once on every node.
 */
export function requirePartner(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    await limitFailures(rt, request, async () => {
      const key = request.headers['x-api-key'];
      if (typeof key !== 'string' || !key.startsWith('xHCSAPI')) {
        return 'a valid partner API key is required (x-api-key: xHCSAPI…)';
      }
      const now = rt.clock.now();
      const row = await rt.store.get<{ id: string; company_id: string; last_used_at: number | null }>(
        `SELECT k.id, k.company_id, u.last_used_at FROM api_keys k LEFT JOIN api_key_uses u ON u.key_id = k.id
          WHERE k.key_hash = ? AND k.expires_at > ?`,
        [sha256(key), now],
      );
      if (!row) return 'the API key is unknown, revoked or expired';
      request.companyId = row.company_id;
      request.apiKeyId = row.id;
      if (row.last_used_at === null || now - Number(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
        await rt.store.run(
          'INSERT INTO api_key_uses (key_id, last_used_at) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at',
          [row.id, now],
        );
      }
    });
  };
}
