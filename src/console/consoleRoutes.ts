import { parse as parseQuery } from 'node:querystring';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errorHandler, notFoundHandler } from '../api/errorHandler.js';
import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { assetRoutes } from './assets.js';
import { guard, wantsJson } from './guard.js';
import { operatorRoutes } from './operator/operatorRoutes.js';
import { catalogPage } from './partner/catalogPage.js';
import { partnerConsoleRoutes } from './partner/partnerConsoleRoutes.js';
import { sendPage } from './render.js';
import { loadSession } from './session.js';
import { signInRoutes } from './signIn.js';
import { LiveStreams } from './live.js';

/** A browser navigating, not console.js or a script (curl, which gets problem+json). */
const wantsPage = (request: FastifyRequest) => !wantsJson(request) && (request.headers.accept ?? '').includes('text/html');

/** A browser navigating gets an HTML page for an error; a script (console.js, curl) problem+json. */
function consoleErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error instanceof HttpError ? error.status : error.validation ? 400 : (error.statusCode ?? 500);
  if (!wantsPage(request) || status >= 500) {
    return errorHandler(error, request, reply);
  }
  const message = error instanceof HttpError || error.validation ? error.message : 'The request could not be completed.';
  const session = request.consoleSession;
  return sendPage(reply, 'error', { title: status === 404 ? 'Not found' : 'Something is wrong', status, message, session }, status);
}

/**
 * The web console at `/console` (DESIGN.md "Faces for people"): server-rendered pages for
 * partners (signed in with an API key) and operators (the admin token), live parts over
 * Server-Sent Events, charts drawn by uPlot from data the database computes. It reads and acts
 * through the same functions as the API.
 */
export function consoleRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // Forms post urlencoded; a few lines instead of a plugin. Bounded by the app's bodyLimit.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, parseQuery(body as string));
    });
    app.setErrorHandler(consoleErrorHandler);
    const live = new LiveStreams();
    // SSE responses never go idle: end them so that closing the server does not wait for them.
    app.addHook('preClose', async () => live.closeAll());
    assetRoutes(app);
    signInRoutes(app, rt);
    await app.register(partnerConsoleRoutes(rt, live));
    await app.register(operatorRoutes(rt, live), { prefix: '/operator' });
    await app.register(async (shared) => {
      shared.addHook('preValidation', guard(rt, 'anyone'));
      catalogPage(shared, rt);
    });
    // An unknown console URL: a page saying so to a browser (with the session's navigation), problem+json to a script.
    app.setNotFoundHandler(async (request, reply) => {
      if (!wantsPage(request)) return notFoundHandler(request, reply);
      const session = (await loadSession(rt, request)) ?? undefined;
      const message = `There is no console page at ${request.url.split('?')[0]}.`;
      return sendPage(reply, 'error', { title: 'Not found', status: 404, message, session }, 404);
    });
  };
}
