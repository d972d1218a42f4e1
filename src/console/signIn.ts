import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { secretsEqual, sha256 } from '../util/secrets.js';
import { packageVersion } from '../util/packageVersion.js';
import { consoleSchema } from './routeSchema.js';
import { closeSession, cookieHeader, csrfMatches, loadSession, openSession, readCookie } from './session.js';
import { sendPage } from './render.js';

/** Before a session exists the sign-in form is guarded by a double-submit token in its own cookie. */
const SIGN_IN_COOKIE = 'hh_signin';

/**
 * Why the sign-in form's token did not come back. Most often the form is old or from another
 * site; but over plain http from anywhere but this machine a browser drops the `Secure` cookie,
 * and only the operator can fix that (HTTPS, or HEARTHOOK_ALLOW_HTTP on a trusted network).
 */
function formExpired(rt: Runtime, request: FastifyRequest): string {
  const loopback = /^(localhost|127\.|\[::1\])/.test(request.hostname);
  if (request.protocol === 'http' && !rt.config.allowHttp && !loopback) {
    return 'The browser did not send the sign-in cookie back: the console sets it Secure, and this page came over plain http. Open the console over https, or start Hearthook with HEARTHOOK_ALLOW_HTTP=1 on a trusted network.';
  }
  return 'The form expired or came from another site. Please sign in again.';
}

/** Where a session lands. */
const home = (companyId: string | undefined) => (companyId ? '/console/webhooks' : '/console/operator');

/** `/console`, `/console/sign-in` and `/console/sign-out`. */
export function signInRoutes(app: FastifyInstance, rt: Runtime): void {
  const showForm = async (reply: FastifyReply, error?: string, status = error ? 401 : 200) => {
    const csrf = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookieHeader(rt, SIGN_IN_COOKIE, csrf, 3600));
    return sendPage(reply, 'signIn', { title: 'Sign in', csrf, error, version: packageVersion }, status);
  };

  app.get('/', consoleSchema('openConsole', 'The console: the sign-in form, or the signed-in home page'), async (request, reply) => {
    const session = await loadSession(rt, request);
    return reply.redirect(session ? home(session.companyId) : '/console/sign-in', 303);
  });

  app.get('/sign-in', consoleSchema('showConsoleSignIn', 'The sign-in form (API key or operator token)'), async (_request, reply) =>
    showForm(reply),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/sign-in',
    consoleSchema('signInToConsole', 'Opens a console session for a partner API key or the operator token', {}, [401]),
    async (request, reply) => {
      if (!csrfMatches(readCookie(request, SIGN_IN_COOKIE) ?? '', request.body?._csrf)) {
        return showForm(reply, formExpired(rt, request), 403);
      }
      try {
        // The API's failed-authentication limit, per address: the form is no way around it.
        rt.limits.checkAuthAddress(request.ip);
        const credential = typeof request.body?.credential === 'string' ? request.body.credential.trim() : '';
        if (credential.startsWith('xHCSAPI')) {
          const key = await rt.store.get<{ id: string; company_id: string }>(
            'SELECT id, company_id FROM api_keys WHERE key_hash = ? AND expires_at > ?',
            [sha256(credential), rt.clock.now()],
          );
          if (key) {
            await openSession(rt, reply, { companyId: key.company_id, apiKeyId: key.id });
            return reply.redirect(home(key.company_id), 303);
          }
        } else if (credential && secretsEqual(sha256(credential), rt.adminTokenHash)) {
          await openSession(rt, reply, {});
          return reply.redirect(home(undefined), 303);
        }
        await rt.limits.authFailed(request.ip);
        return showForm(reply, 'That key or token is unknown or expired.');
      } catch (err) {
        if (!(err instanceof HttpError) || err.status !== 429) throw err;
        reply.headers(err.headers ?? {});
        return showForm(reply, `Too many failed sign-ins from this address: try again in ${err.headers?.['retry-after'] ?? 'a few'} s.`, 429);
      }
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/sign-out',
    consoleSchema('signOutOfConsole', 'Ends the console session on every node'),
    async (request, reply) => {
      const session = await loadSession(rt, request);
      // Without the session's token a cross-site page could sign a person out; refused like any action.
      if (session && !csrfMatches(session.csrfToken, request.body?._csrf)) {
        return reply.code(403).type('text/plain').send('CSRF token missing or wrong');
      }
      if (session) await closeSession(rt, reply, session);
      return reply.redirect('/console/sign-in', 303);
    },
  );
}
