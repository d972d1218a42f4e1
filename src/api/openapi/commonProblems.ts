import type { RouteOptions } from 'fastify';
import { problemSchema } from '../schemas.js';

/** Methods whose requests Fastify parses a body for: they can answer 413 and 415. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/**
 * The errors any route can answer whatever its handler does, added to each documented route's
 * responses unless the route documents them itself:
 * - 400: a bad `x-api-version` header, checked before anything else (apiVersionHeader.ts);
 * - 401: missing or wrong credentials, on every route whose `security` names a scheme;
 * - 413 and 415: a body past the 8 MiB limit, or not JSON, on every method Fastify parses a body for.
 * Errors that belong to one route (404, 409, …) stay in that route's schema. The OpenAPI test
 * sends each route the requests that cause these and checks the answers are documented.
 *
 * @example app.addHook('onRoute', addCommonProblems);
 */
export function addCommonProblems(route: RouteOptions): void {
  const schema = route.schema as (Record<string, unknown> & { hide?: boolean; security?: unknown[] }) | undefined;
  if (!schema || schema.hide) return;
  const responses = (schema.response ?? {}) as Record<string, unknown>;
  const add = (status: number, description: string) => {
    if (!(status in responses)) responses[status] = problem(description);
  };
  add(400, 'invalid request (a bad x-api-version header, a field, a query parameter); `errors` names each field');
  if (schema.security && schema.security.length > 0) add(401, 'missing or invalid credentials');
  const methods = ([] as string[]).concat(route.method);
  if (methods.some((m) => BODY_METHODS.has(m))) {
    add(413, 'the body is larger than 8 MiB');
    add(415, 'the body is not `application/json`');
  }
  schema.response = responses;
}
