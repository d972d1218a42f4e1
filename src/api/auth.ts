import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { secretsEqual, sha256 } from '../util/secrets.js';
import { HttpError } from './httpError.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The partner company an `x-api-key` belongs to (partner routes only). */
    companyId: string;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** `Authorization: Bearer <admin token>`. */
export function requireAdmin(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearer(request);
    if (!token || !secretsEqual(sha256(token), rt.adminTokenHash)) {
      throw new HttpError(401, 'a valid operator token is required (Authorization: Bearer <admin token>)');
    }
  };
}

/** `Authorization: Bearer <ingest token>`. */
export function requireIngest(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearer(request);
    if (!token || !secretsEqual(sha256(token), rt.ingestTokenHash)) {
      throw new HttpError(401, 'a valid ingest token is required (Authorization: Bearer <ingest token>)');
    }
  };
}

/** `x-api-key: xHCSAPI…`, not expired; sets `request.companyId`. */
export function requirePartner(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || !key.startsWith('xHCSAPI')) {
      throw new HttpError(401, 'a valid partner API key is required (x-api-key: xHCSAPI…)');
    }
    const row = await rt.store.get<{ company_id: string }>(
      'SELECT company_id FROM api_keys WHERE key_hash = ? AND expires_at > ?',
      [sha256(key), rt.clock.now()],
    );
    if (!row) throw new HttpError(401, 'the API key is unknown or expired');
    request.companyId = row.company_id;
  };
}
