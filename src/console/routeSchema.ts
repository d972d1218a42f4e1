import { problems } from '../api/schemas.js';

/**
 * The Fastify schema of a console route: an operationId and a description like every route, its
 * 4xx documented (problem+json for scripts; a browser asking for HTML gets an error page), and
 * hidden from /openapi.json: pages are for people, the API is for programs.
 */
export function consoleSchema(operationId: string, description: string, extra: Record<string, unknown> = {}, statuses: number[] = [404]) {
  return { schema: { operationId, description, hide: true, security: [], response: problems(403, ...statuses), ...extra } };
}
