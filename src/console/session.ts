import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { secretsEqual, sha256 } from '../util/secrets.js';

/** Who a console request is from: a partner company, or the operator. */
export interface ConsoleSession {
  tokenHash: string;
  /** The partner's company; undefined for the operator. */
  companyId?: string;
  companyName?: string;
  /** Echoed in every form and checked on every POST (synchronizer token). */
  csrfToken: string;
}

export const SESSION_COOKIE = 'hh_console';
/** A session lasts a working day; signing in again is one paste of the key. */
export const SESSION_MS = 12 * 3_600_000;

/** The cookie named `name` of a request (cookies are few; no parser library needed). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * `Set-Cookie` for a console cookie: HttpOnly, SameSite=Strict, scoped to /console, and Secure
 * unless `HEARTHOOK_ALLOW_HTTP` (a browser drops Secure cookies over plain http).
 */
export function cookieHeader(rt: Runtime, name: string, value: string, maxAgeSeconds: number): string {
  const secure = rt.config.allowHttp ? '' : '; Secure';
  return `${name}=${encodeURIComponent(value)}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * The admin token this node runs with, as an operator session stores it: an operator session
 * ends when the node's admin token is no longer the one it was opened with (migration 025).
 * Computed once per runtime (the token and the master key do not change while it runs).
 */
const adminTokenTags = new WeakMap<Runtime, string>();
function adminTokenTag(rt: Runtime): string {
  let tag = adminTokenTags.get(rt);
  if (tag === undefined) {
    tag = rt.encrypter.fingerprint('console operator session', rt.adminTokenHash);
    adminTokenTags.set(rt, tag);
  }
  return tag;
}

/** Opens a session in the database and answers its cookie: a partner's (its key's) or, without a company, the operator's. */
export async function openSession(rt: Runtime, reply: FastifyReply, who: { companyId?: string; apiKeyId?: string }): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const now = rt.clock.now();
  // Expired sessions go when someone signs in: through the expiry index, a handful of rows.
  await rt.store.run('DELETE FROM console_sessions WHERE expires_at <= ?', [now]);
  await rt.store.run(
    'INSERT INTO console_sessions (token_hash, company_id, api_key_id, admin_token_tag, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      sha256(token),
      who.companyId ?? null,
      who.apiKeyId ?? null,
      who.companyId === undefined ? adminTokenTag(rt) : null,
      randomBytes(24).toString('base64url'),
      now,
      now + SESSION_MS,
    ],
  );
  reply.header('set-cookie', cookieHeader(rt, SESSION_COOKIE, token, SESSION_MS / 1000));
}

/**
 * The session of a request, read from the database on every request (so a sign-out on any node
 * ends it everywhere at once), or undefined. A partner session ends with the key it was opened
 * with: revoked or expired, the key no longer opens anything. An operator session ends with the
 * admin token it was opened with: on a node started with another HEARTHOOK_ADMIN_TOKEN it opens
 * nothing (pages go to the sign-in form, live views end at their next tick).
 */
export async function loadSession(rt: Runtime, request: FastifyRequest): Promise<ConsoleSession | undefined> {
  const token = readCookie(request, SESSION_COOKIE);
  if (!token) return undefined;
  const now = rt.clock.now();
  const row = await rt.store.get<{
    token_hash: string;
    company_id: string | null;
    name: string | null;
    csrf_token: string;
    admin_token_tag: string | null;
    key_ok: number | null;
  }>(
    `SELECT s.token_hash, s.company_id, c.name, s.csrf_token, s.admin_token_tag,
            (SELECT 1 FROM api_keys k WHERE k.id = s.api_key_id AND k.company_id = s.company_id AND k.expires_at > ?) AS key_ok
       FROM console_sessions s LEFT JOIN companies c ON c.id = s.company_id
      WHERE s.token_hash = ? AND s.expires_at > ?`,
    [now, sha256(token), now],
  );
  if (!row) return undefined;
  const credentialHolds =
    row.company_id !== null ? row.key_ok !== null : row.admin_token_tag !== null && secretsEqual(row.admin_token_tag, adminTokenTag(rt));
  if (!credentialHolds) return undefined;
  return { tokenHash: row.token_hash, companyId: row.company_id ?? undefined, companyName: row.name ?? undefined, csrfToken: row.csrf_token };
}

/** Ends a session for every node. */
export async function closeSession(rt: Runtime, reply: FastifyReply, session: ConsoleSession): Promise<void> {
  await rt.store.run('DELETE FROM console_sessions WHERE token_hash = ?', [session.tokenHash]);
  reply.header('set-cookie', cookieHeader(rt, SESSION_COOKIE, '', 0));
}

/** Does the form's token match the session's? Compared in constant time. */
export function csrfMatches(expected: string, given: unknown): boolean {
  return typeof given === 'string' && given.length > 0 && secretsEqual(given, expected);
}
