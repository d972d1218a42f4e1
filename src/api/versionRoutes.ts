import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../runtime.js';
import { currentMajor, listVersions, type VersionInfo, versionHeader } from '../versions/registry.js';
import { eventSchemas } from '../versions/schemas/eventSchemas.js';
import { notFound } from './httpError.js';
import { iso, problemSchema } from './schemas.js';

const tags = ['Versions'];
const isoOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });
/** No 401: these routes take no credentials. A 400 comes from a bad `x-api-version` or path. */
const invalid = { 400: problem('invalid request; `errors` names each field') };

const versionSchema = {
  type: 'object',
  properties: {
    major: { type: 'integer' },
    minor: { type: 'integer', description: 'its latest minor: minors only add fields' },
    version: { type: 'string', description: 'MAJOR.MINOR, as x-api-version says it', examples: ['2.0'] },
    status: {
      type: 'string',
      enum: ['upcoming', 'current', 'deprecated', 'retired'],
      description: 'upcoming: announced; current: what new webhooks get; deprecated: still rendered until supportEndsAt; retired: no longer rendered',
    },
    releasedAt: { type: 'string', format: 'date-time' },
    deprecatedAt: { ...isoOrNull, description: 'the next major’s release' },
    supportEndsAt: { ...isoOrNull, description: 'deprecatedAt plus 6 months; from then on, webhooks pinned to it get the current major' },
  },
  required: ['major', 'minor', 'version', 'status', 'releasedAt', 'deprecatedAt', 'supportEndsAt'],
} as const;

function versionJson(v: VersionInfo) {
  return { ...v, releasedAt: iso(v.releasedAt), deprecatedAt: iso(v.deprecatedAt), supportEndsAt: iso(v.supportEndsAt) };
}

/**
 * Public routes under `/v1` (no credentials: receivers and their developers need them before
 * they have a key): the API versions with their status, and each major's event schemas.
 *
 * @example
 * curl https://hearthook.example/v1/versions
 * curl https://hearthook.example/v1/versions/2/schemas
 */
export function versionRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/versions',
      {
        schema: {
          tags,
          operationId: 'listVersions',
          security: [],
          description: 'The API majors with their release date and status (upcoming, current, deprecated, retired) and when support of each ends. Needs no credentials.',
          summary: 'API versions: which is current, which are deprecated and until when',
          response: {
            200: {
              type: 'object',
              properties: { current: { type: 'string', description: 'MAJOR.MINOR of the current major' }, data: { type: 'array', items: versionSchema } },
              required: ['current', 'data'],
            },
            ...invalid,
          },
        },
      },
      async () => {
        const now = rt.clock.now();
        const versions = rt.config.apiVersions;
        return { current: versionHeader(currentMajor(now, versions), versions), data: listVersions(now, versions).map(versionJson) };
      },
    );

    app.get<{ Params: { major: number } }>(
      '/versions/:major/schemas',
      {
        schema: {
          tags,
          operationId: 'getVersionSchemas',
          security: [],
          description: 'The JSON Schema (draft 2020-12) of each event type\'s body in one major: what a receiver pinned to it gets. Needs no credentials. 404 for a major Hearthook does not have.',
          summary: "A major's JSON Schema (draft 2020-12) of each event type's body",
          params: { type: 'object', properties: { major: { type: 'integer', minimum: 1 } }, required: ['major'] },
          response: {
            200: {
              type: 'object',
              properties: {
                major: { type: 'integer' },
                version: { type: 'string' },
                schemas: { type: 'object', description: 'event type → JSON Schema', additionalProperties: { type: 'object', additionalProperties: true } },
              },
              required: ['major', 'version', 'schemas'],
            },
            ...invalid,
            404: problem('Hearthook has no such major'),
          },
        },
      },
      async (request) => {
        const { major } = request.params;
        const versions = rt.config.apiVersions;
        const schemas = eventSchemas(major);
        // Only the registry's majors: a renderer kept in the code for a major not (or no longer) listed is not published.
        if (!schemas || !versions.some((v) => v.major === major)) throw notFound(`API version ${major}`);
        return { major, version: versionHeader(major, versions), schemas };
      },
    );
  };
}
