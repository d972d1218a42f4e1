/**
 * Walks `/openapi.json` and fuzzes every operation in it, so a route that lands tomorrow is
 * covered without editing this file: generated valid requests must get a 2xx; generated invalid
 * ones (wrong types, missing and unknown fields, over-long and malformed strings, lone
 * surrogates, NUL, bad timestamps, integers past 2^53, deep nesting) must get a 4xx
 * `application/problem+json` naming the broken field, and leave every table as it was; the
 * server must stay up. Seeded: FUZZ_SEED when set (.ci/run sets a random one), else a fixed one;
 * a failure prints the seed to rerun it with.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { malformedValues } from '../../src/api/wellFormedInput.js';
import { isTimestamp } from '../../src/util/timestamps.js';
import { currentMajor } from '../../src/versions/registry.js';
import { Receiver } from '../helpers/receiver.js';
import { startTestHearthook } from '../helpers/testRuntime.js';
import { type Bindings, mutations, type Schema, validValue } from './schemaArbitraries.js';
import { freshGatewayId, makeWorld, snapshotAll, type World } from './world.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261202;
/** Runs per operation: bounded so the whole walk stays well under a minute on the 2-core machine. */
const VALID_RUNS = 3;
const INVALID_RUNS = 8;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  method: string;
  path: string;
  name: string;
  parameters: Parameter[];
  body?: Schema;
  security: string | undefined;
  streams: boolean;
}

/**
 * The few operations whose valid requests need more than a fresh world, and why. Keyed
 * `METHOD /path` as the document writes it. `allow`: answers that a valid request may get from
 * the state it meets rather than from its shape.
 */
const SETUP: Record<string, { prepare?(world: World): Promise<void>; path?: Record<string, (w: World) => string>; allow?: number[] }> = {
  // Acknowledging a contract needs one the owner closed.
  'DELETE /v1/contracts/{gatewayId}': {
    prepare: async (w) => {
      await call('DELETE', `/v1/admin/gateways/${w.gatewayId}/contracts/${w.companyId}`, w.headers.adminToken);
    },
  },
  // ACCEPT and REJECT need a PENDING contract, REVOKE an ACTIVE one: the action is generated.
  'PATCH /v1/contracts/{gatewayId}': { allow: [409] },
  // Pairing needs a gateway without a contract with that company.
  'POST /v1/admin/gateways/{gatewayId}/contracts': { path: { gatewayId: (w) => w.freeGatewayId } },
  // The world's webhook is on the current major and no later one is released at the test clock.
  'POST /v1/webhooks/{id}/upgrade': { allow: [400, 409] },
};

/** Fields whose valid values no schema states: a reachable endpoint, an existing company. */
function bindings(world: World, receiverUrl: string, op: Operation): Bindings {
  return (name, schema) => {
    switch (name) {
      case 'url':
        return fc.constant(receiverUrl);
      case 'companyId':
        return fc.constant(world.companyId);
      case 'gatewayId':
        return op.path === '/v1/admin/gateways' ? fc.constant(freshGatewayId()) : fc.constant(world.gatewayId);
      case 'timezone':
        return fc.constantFrom('Europe/Berlin', 'UTC', 'America/New_York');
      case 'apiKeyName':
        return fc.constantFrom('x-api-key', 'authorization', 'X-Partner-Token');
      case 'languages':
        return fc.constantFrom(['en'], ['de', 'en']);
      case 'apiVersion':
        return fc.constant(currentMajor(hh.clock.now(), hh.rt.config.apiVersions));
      case 'before':
        return schema.pattern?.startsWith('^dlv_') ? fc.constant(world.deliveryId) : undefined;
      case 'after':
        return fc.constant(undefined); // a cursor only a page gives out
      default:
        return undefined;
    }
  };
}

/** Path parameters by name: what the world holds. */
function pathValue(op: Operation, name: string, world: World): string {
  const special = SETUP[op.name]?.path?.[name];
  if (special) return special(world);
  if (name === 'id') return op.path.startsWith('/v1/deliveries/') ? world.deliveryId : world.webhookId;
  const value = { gatewayId: world.gatewayId, companyId: world.companyId, keyId: world.apiKeyId, major: '2' }[name];
  if (value === undefined) throw new Error(`${op.name}: add what its path parameter {${name}} names to pathValue in test/fuzz/openapi.fuzz.test.ts`);
  return value;
}

// ---- the server under test, and the document it serves ----
const hh = await startTestHearthook();
const receiver = await new Receiver().start();
const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
  hh.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: JSON.stringify(payload), headers: { ...headers, 'content-type': 'application/json' } }) });
const doc = inlineComponents((await call('GET', '/openapi.json', {})).json<OpenApiDoc>());

interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, unknown> };
}

/**
 * The document with each `$ref` to `#/components/schemas/…` replaced by that schema (and the
 * discriminators' `mapping`, which names those refs and which Ajv does not read, left out): the
 * arbitraries and the validators below work on plain schemas.
 */
function inlineComponents(document: OpenApiDoc): OpenApiDoc {
  const components = document.components?.schemas ?? {};
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (!node || typeof node !== 'object') return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return inline(components[ref.slice('#/components/schemas/'.length)]);
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, key === 'discriminator' ? { propertyName: (value as { propertyName: string }).propertyName } : inline(value)]),
    );
  };
  return { ...document, paths: inline(document.paths) as OpenApiDoc['paths'] };
}

const ajv = new Ajv({ strict: false, allErrors: false, discriminator: true, validateFormats: true });
addFormats.default(ajv);
ajv.addFormat('date-time', { type: 'string', validate: isTimestamp });
const validators = new Map<Schema, ValidateFunction>();
const accepts = (schema: Schema, value: unknown) => {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate(value) as boolean;
};

const OPERATIONS: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, spec]) => {
    const content = (spec.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content;
    const responses = (spec.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
    const security = (spec.security as Array<Record<string, unknown>> | undefined)?.[0];
    return {
      method: method.toUpperCase(),
      path,
      name: `${method.toUpperCase()} ${path}`,
      parameters: (spec.parameters ?? []) as Parameter[],
      body: content?.['application/json']?.schema,
      security: security ? Object.keys(security)[0] : undefined,
      streams: Object.values(responses).some((r) => r.content && 'text/event-stream' in r.content),
    };
  }),
);

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A request for `op` whose path, query and body are valid (body and query generated). */
function validRequest(op: Operation, world: World): fc.Arbitrary<Request> {
  const bind = bindings(world, receiver.url, op);
  const query = op.parameters.filter((p) => p.in === 'query');
  const queryArb = fc.record(
    Object.fromEntries(query.map((p) => [p.name, validValue(p.schema, bind, p.name)])),
    { requiredKeys: query.filter((p) => p.required).map((p) => p.name) },
  );
  const bodyArb = op.body ? validValue(op.body, bind).filter((b) => accepts(op.body!, b)) : fc.constant(undefined);
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathValue(op, name, world)));
  const headers = op.security ? world.headers[op.security] : {};
  if (op.security && !headers) throw new Error(`${op.name}: unknown security scheme ${op.security}; add its credentials to World.headers`);
  return fc.tuple(queryArb, bodyArb).map(([q, body]) => {
    const defined = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
    const search = new URLSearchParams(defined).toString();
    return { method: op.method, url: search ? `${path}?${search}` : path, headers, body };
  });
}

/** An invalid request derived from a valid one, with the field the answer must name. */
function invalidRequest(op: Operation, valid: Request): fc.Arbitrary<{ request: Request; field: string; what: string }> {
  const [path, search = ''] = valid.url.split('?');
  const params = new URLSearchParams(search);
  const options: Array<fc.Arbitrary<{ request: Request; field: string; what: string }>> = [];
  if (op.body) {
    options.push(
      mutations(valid.body, op.body)
        .filter((m) => !accepts(op.body!, m.value) || malformed(m.value))
        .map((m) => ({ request: { ...valid, body: m.value }, field: `/body${m.field}`, what: m.what })),
    );
  }
  for (const p of op.parameters.filter((x) => x.in === 'query')) {
    const wrong = [
      ...(p.schema.type === 'integer' || p.schema.type === 'number' ? ['abc', '1.5e400'] : []),
      ...(p.schema.enum ? ['NOT_AN_OPTION'] : []),
      ...(p.schema.pattern || p.schema.format ? ['!!', ''] : []),
      '\u0000',
      'a\u0000b',
    ];
    options.push(
      fc.constantFrom(...wrong).map((value) => {
        const q = new URLSearchParams(params);
        q.set(p.name, value);
        return { request: { ...valid, url: `${path}?${q}` }, field: `/querystring/${p.name}`, what: `query ${p.name}=${JSON.stringify(value)}` };
      }),
    );
  }
  options.push(fc.constant({ request: { ...valid, url: `${path}?${new URLSearchParams({ ...Object.fromEntries(params), zz: 'x\u0000' })}` }, field: '/querystring/zz', what: 'NUL in an unknown query parameter' }));
  for (const name of [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
    const segments = op.path.split('/');
    const index = segments.indexOf(`{${name}}`);
    const actual = path.split('/');
    options.push(
      fc.constantFrom(['%00', `/params/${name}`], ['x%00y', `/params/${name}`], ['%ED%A0%80', '/params']).map(([bad, field]) => {
        const broken = [...actual];
        broken[index] = actual[index] + bad;
        return { request: { ...valid, url: `${broken.join('/')}${search ? `?${search}` : ''}` }, field, what: `path {${name}} + ${bad}` };
      }),
    );
  }
  return fc.oneof(...options);
}

/** Whether the well-formedness rules refuse `value` (NUL, lone surrogates, huge integers, depth). */
const malformed = (value: unknown) => malformedValues(value, '').length > 0;

async function send(request: Request) {
  return hh.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
  });
}

/** fc.assert with the seed printed on failure, so the run can be repeated. */
async function check(property: fc.IAsyncProperty<[unknown]> | fc.IAsyncProperty<never>, numRuns: number) {
  try {
    await fc.assert(property as fc.IAsyncProperty<[unknown]>, { seed: SEED, numRuns, endOnFailure: true });
  } catch (err) {
    const cause = (err as Error).cause;
    throw new Error(`fuzz failure; rerun with FUZZ_SEED=${SEED}\n${(err as Error).message}${cause ? `\n${(cause as Error).message ?? cause}` : ''}`);
  }
}

describe(`every operation of /openapi.json, fuzzed (FUZZ_SEED=${SEED})`, () => {
  afterAll(async () => {
    await receiver.stop();
    await hh.close();
  });

  it('finds the operations to walk in the document', () => {
    expect(OPERATIONS.length).toBeGreaterThan(20);
  });

  it('bounds every string a request may carry, so a huge one is refused, not stored', () => {
    const unbounded: string[] = [];
    const walk = (schema: Schema | undefined, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      const bounded =
        schema.maxLength !== undefined ||
        schema.enum !== undefined ||
        'const' in schema ||
        schema.format === 'date-time' ||
        // A pattern bounds a string when nothing outside its character classes repeats without end.
        (schema.pattern !== undefined && !/[*+]|\{\d+,\}/.test(schema.pattern.replace(/\\./g, '').replace(/\[[^\]]*\]/g, '')));
      if (types.includes('string') && !bounded) unbounded.push(where);
      for (const [key, sub] of Object.entries(schema.properties ?? {})) walk(sub, `${where}/${key}`);
      walk(schema.items, `${where}/items`);
      for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) walk(branch, where);
    };
    for (const op of OPERATIONS) {
      walk(op.body, `${op.name} body`);
      for (const p of op.parameters) if (p.in !== 'path') walk(p.schema, `${op.name} ${p.in} ${p.name}`);
    }
    expect(unbounded).toEqual([]);
  });

  for (const op of OPERATIONS.filter((o) => !o.streams)) {
    it(`${op.name}: valid requests get a 2xx`, async () => {
      const setup = SETUP[op.name];
      await check(
        fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 30 }), async (seed) => {
          const world = await makeWorld(hh.app, hh.rt, receiver.url);
          await setup?.prepare?.(world);
          const [request] = fc.sample(validRequest(op, world), { seed, numRuns: 1 });
          const res = await send(request);
          const ok = res.statusCode >= 200 && res.statusCode < 300;
          if (!ok && !setup?.allow?.includes(res.statusCode)) {
            throw new Error(`${request.method} ${request.url} ${JSON.stringify(request.body)} answered ${res.statusCode}: ${res.body}`);
          }
        }),
        VALID_RUNS,
      );
    });

    it(`${op.name}: invalid requests get a 4xx problem naming the field, and change nothing`, async () => {
      const world = await makeWorld(hh.app, hh.rt, receiver.url);
      await SETUP[op.name]?.prepare?.(world);
      const [valid] = fc.sample(validRequest(op, world), { seed: SEED, numRuns: 1 });
      await check(
        fc.asyncProperty(invalidRequest(op, valid), async ({ request, field, what }) => {
          const before = await snapshotAll(hh.rt);
          const res = await send(request);
          const context = `${what}: ${request.method} ${request.url} ${JSON.stringify(request.body)?.slice(0, 300)} answered ${res.statusCode} ${res.body.slice(0, 500)}`;
          if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(`not a 4xx: ${context}`);
          if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`not problem+json: ${context}`);
          const fields = (res.json<{ errors?: Array<{ field: string }> }>().errors ?? []).map((e) => e.field);
          if (!fields.some((f) => f === field || f.startsWith(`${field}/`))) throw new Error(`does not name ${field} (names ${fields.join(', ') || 'nothing'}): ${context}`);
          const after = await snapshotAll(hh.rt);
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            const changed = Object.keys(after).filter((t) => JSON.stringify(after[t]) !== JSON.stringify(before[t]));
            throw new Error(`changed ${changed.join(', ')}: ${context}`);
          }
        }),
        INVALID_RUNS,
      );
    });
  }

  it('is still up and answering after all of it', async () => {
    expect((await call('GET', '/health', {})).statusCode).toBe(200);
    expect((await call('GET', '/openapi.json', {})).statusCode).toBe(200);
  });
});
