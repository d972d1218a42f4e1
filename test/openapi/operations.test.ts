/**
 * Holds every route of the API to the team's documentation rules (COMMON.md): an operationId
 * (camelCase, verb first, unique), a description, tags, `security: []` exactly when the route
 * needs no credentials, and every 4xx it answers documented as problem+json. The 4xx part is
 * checked by asking: each route gets the requests that cause the errors any route can answer
 * (bad x-api-version, no credentials, a body that is not JSON or too large, made-up ids, an
 * empty body) and each 4xx it answers must be in its responses. A route added later is held to
 * the same without touching this file.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartner } from '../api/fixtures.js';
import { admin, ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

interface Operation {
  operationId?: string;
  description?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

const BODY_METHODS = ['post', 'put', 'patch', 'delete'];
/** Values for path parameters: well-formed, but nothing has them. */
/** One byte past the app's body limit (8 MiB). */
const TOO_LARGE = Buffer.alloc(8 * 1024 * 1024 + 1, 32);
const PARAM_VALUES: Record<string, string> = { gatewayId: '999999999', companyId: 'cmp_missing', id: 'missing', major: '99' };

/** The `/v1` routes in Fastify's route tree, as [method, OpenAPI path]: `/v1/webhooks/:id` → `/v1/webhooks/{id}`. */
function fastifyRoutes(app: FastifyInstance): Array<[string, string]> {
  const routes: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD' && path.startsWith('/v1/')) routes.push([method.toLowerCase(), path]);
    }
  }
  return routes;
}

describe('every route of the API', () => {
  let hh: TestHearthook;
  let paths: Record<string, Record<string, Operation>>;
  let credentials: Record<string, Record<string, string>>;
  const operations = () =>
    Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));

  beforeAll(async () => {
    hh = await startTestHearthook();
    paths = (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
    const partner = await createPartner(hh.app);
    credentials = { adminToken: admin, ingestToken: ingest, partnerKey: partner.headers };
  });
  afterAll(() => hh.close());

  it('is in the document, none hidden', () => {
    const routes = fastifyRoutes(hh.app);
    expect(routes.length).toBeGreaterThan(25);
    for (const [method, path] of routes) expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it('has a unique camelCase operationId starting with a verb, a description, a summary and tags', () => {
    const ids = new Set<string>();
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^(list|get|create|update|delete|close|decide|retry|recover|send|rotate|upgrade|ingest|stream|trigger|revoke|replace|set|check)[A-Z][A-Za-z0-9]*$/);
      expect(ids.has(op.operationId!), `${where}: ${op.operationId} twice`).toBe(false);
      ids.add(op.operationId!);
      expect(op.description?.length, `${where}: description`).toBeGreaterThan(20);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBeGreaterThan(0);
      expect(op.security, `${where}: security (use [] for a public route)`).toBeDefined();
    }
  });

  it('documents every 4xx it answers as problem+json, and needs credentials exactly when its security says so', async () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => PARAM_VALUES[name] ?? 'missing');
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const auth = scheme ? credentials[scheme] : {};
      const send = async (headers: Record<string, string>, payload?: string | Buffer) => {
        const res = await hh.app.inject({ method: method.toUpperCase() as 'GET', url, headers, payload });
        if (res.statusCode >= 400 && res.statusCode < 500) {
          expect(op.responses, `${where} answered ${res.statusCode}: ${res.body}`).toHaveProperty([String(res.statusCode)]);
          expect(op.responses[res.statusCode].content, `${where} ${res.statusCode}`).toHaveProperty(['application/problem+json']);
        }
        return res.statusCode;
      };

      expect(await send({ 'x-api-version': '0.5' }), where).toBe(400);
      const anonymous = await send({});
      if (scheme) expect(anonymous, `${where} without credentials`).toBe(401);
      else {
        expect(op.security, `${where} answers without credentials: security must be []`).toEqual([]);
        expect(anonymous, where).not.toBe(401);
      }
      // A stream answers an accepted request forever: only its refusals are probed.
      const streams = Object.values(op.responses).some((r) => r.content && 'text/event-stream' in r.content);
      if (!streams) await send(auth);
      if (BODY_METHODS.includes(method)) {
        await send({ ...auth, 'content-type': 'application/json' }, '{}');
        await send({ ...auth, 'content-type': 'text/plain' }, 'hello');
        expect(await send({ ...auth, 'content-type': 'application/xml' }, '<a/>'), `${where} XML`).toBe(415);
        expect(await send({ ...auth, 'content-type': 'application/json' }, TOO_LARGE), `${where} 8 MiB + 1`).toBe(413);
      }
    }
  });
});
