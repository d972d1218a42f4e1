import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { type ApiVersion, currentMajor, unsupportedReason, versionHeader } from '../versions/registry.js';
import { HttpError } from './httpError.js';

const HEADER = 'x-api-version';
const FIELD = '/headers/x-api-version';

/**
 * Why an `x-api-version` request header is refused, or undefined when it names a supported
 * major. A request names a major only: minors never break anything, so there is nothing to
 * choose between them.
 */
export function apiVersionHeaderProblem(value: string, now: number, versions: readonly ApiVersion[]): string | undefined {
  if (/^\d+\.\d+$/.test(value)) return `must be a major only, such as "${value.split('.')[0]}", not MAJOR.MINOR`;
  if (!/^[1-9]\d{0,5}$/.test(value)) return `"${value}" is not an API major; send a whole number such as "2"`;
  return unsupportedReason(Number(value), now, versions);
}

/**
 * The REST side of API versions (DOMAIN.md, "Partner API facts"): a request may send
 * `x-api-version: <MAJOR>`; an unsupported, minor-qualified or malformed value is answered 400
 * (problem+json naming `/headers/x-api-version`) before authentication, so a client learns it at
 * once. Every response, errors and 404s included, carries `x-api-version: MAJOR.MINOR`: of the
 * requested major, else of the current one. The management API has had no breaking change, so
 * every supported major is answered alike; the header lets a client see its major retire.
 * Must be called before the routes are registered, so every route gets the hooks.
 */
export function useApiVersionHeader(app: FastifyInstance, rt: Runtime): void {
  app.addHook('onRequest', async (request, reply) => {
    const raw = request.headers[HEADER];
    if (raw === undefined) return;
    // Node joins a repeated header with ", ", which the pattern then refuses as malformed.
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const problem = apiVersionHeaderProblem(value, rt.clock.now(), rt.config.apiVersions);
    if (problem) throw new HttpError(400, `${HEADER}: ${problem}`, [{ field: FIELD, message: problem }]);
    reply.header(HEADER, versionHeader(Number(value), rt.config.apiVersions));
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader(HEADER)) {
      const versions = rt.config.apiVersions;
      reply.header(HEADER, versionHeader(currentMajor(rt.clock.now(), versions), versions));
    }
    return payload;
  });
}
