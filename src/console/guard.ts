import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { type ConsoleSession, csrfMatches, loadSession } from './session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session of the request (console routes behind a guard only). */
    consoleSession: ConsoleSession;
  }
}

/** Partner pages need a partner session, operator pages an operator one; a few (the event catalog) any session. */
export type Audience = 'partner' | 'operator' | 'anyone';

/** A page or action the session may not use is not there: the same answer as an unknown URL. */
export const notHere = () => new HttpError(404, 'not found');

/**
 * A preHandler for one audience: no session sends a page request to the sign-in form (401 for
 * anything else); a session of the other audience gets a 404; every POST must carry the session's
 * CSRF token in `_csrf` (403 otherwise), whatever its origin claims.
 */
export function guard(rt: Runtime, audience: Audience) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const session = await loadSession(rt, request);
    if (!session) {
      if (request.method === 'GET' && !request.url.includes('/live')) return reply.redirect('/console/sign-in', 303);
      throw new HttpError(401, 'sign in to the console first');
    }
    if (audience !== 'anyone' && (audience === 'partner') !== (session.companyId !== undefined)) throw notHere();
    if (request.method === 'POST' && !csrfMatches(session.csrfToken, (request.body as Record<string, unknown> | undefined)?._csrf)) {
      throw new HttpError(403, 'the form is stale or came from another site (CSRF token missing or wrong); reload the page and try again');
    }
    request.consoleSession = session;
  };
}

/** The signed-in partner's company (after the partner guard). */
export function companyOf(request: FastifyRequest): string {
  return request.consoleSession.companyId as string;
}

/** Does the client want JSON back (a form sent by console.js) rather than a page? */
export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}
