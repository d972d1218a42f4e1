/**
 * fast-check arbitraries derived from the JSON Schemas of `/openapi.json`: values a schema
 * accepts, and one-spot mutations of them that it (or the well-formedness rules every request
 * obeys) refuses. Only the keywords our route schemas use are modelled; whatever a generated
 * value still gets wrong is caught by checking it against the schema itself (Ajv), so a new
 * keyword makes the suite skip values, never send wrong ones as valid.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  uniqueItems?: boolean;
  additionalProperties?: boolean | Schema;
};

/** Values for fields whose meaning no schema states (a reachable URL, an existing company). */
export type Bindings = (name: string, schema: Schema) => fc.Arbitrary<unknown> | undefined;

const TIMESTAMP = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** A value `schema` accepts (filter the result with the schema's validator: see the file comment). */
export function validValue(schema: Schema, bind: Bindings, name = ''): fc.Arbitrary<unknown> {
  const bound = name ? bind(name, schema) : undefined;
  if (bound) return bound;
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) return fc.oneof(...branches.map((b) => validValue({ ...schema, oneOf: undefined, anyOf: undefined, ...b }, bind, name)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [schema.properties ? 'object' : 'string'];
  return fc.oneof(...types.map((type) => valueOfType(type, schema, bind)));
}

function valueOfType(type: string, schema: Schema, bind: Bindings): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') return TIMESTAMP;
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => lengthOk(s, schema));
      return fc
        .string({ unit: 'binary', minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) })
        .filter((s) => !s.includes('\u0000') && lengthOk(s, schema));
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.oneof(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true }),
      );
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = validValue(schema.items ?? {}, bind);
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(item, constraints);
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(properties)) record[key] = validValue(sub, bind, key);
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.constant(null);
  }
}

function lengthOk(text: string, schema: Schema): boolean {
  const length = [...text].length;
  return length >= (schema.minLength ?? 0) && length <= (schema.maxLength ?? Number.POSITIVE_INFINITY);
}

/** How a valid value was broken, and which field (JSON pointer below the part) must be named. */
export interface Mutation {
  what: string;
  /** Pointer, relative to the request part, of the field the answer must name (or a field inside it). */
  field: string;
  value: unknown;
}

export const BAD_TIMESTAMPS = [
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '2101-01-01T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-06-30T23:59:60Z',
  '2026-01-01T00:00:00',
  'yesterday',
];

/** A JSON array nested `depth` levels. */
export const deeplyNested = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

/** Every place in `value` (with its schema where known) a mutation may hit. */
function slots(value: unknown, schema: Schema | undefined, pointer: string): Array<{ pointer: string; value: unknown; schema?: Schema; parent?: Record<string, unknown> }> {
  const here = [{ pointer, value, schema }];
  const resolved = schema && resolveBranch(schema, value);
  if (Array.isArray(value)) {
    return [...here, ...value.flatMap((item, i) => slots(item, resolved?.items, `${pointer}/${i}`))];
  }
  if (typeof value === 'object' && value !== null) {
    return [
      ...here,
      ...Object.entries(value).flatMap(([key, item]) => slots(item, resolved?.properties?.[key], `${pointer}/${pointerToken(key)}`)),
    ];
  }
  return here;
}

/** The branch of a oneOf/anyOf `value` was made from (by discriminator `kind`, else by shape). */
function resolveBranch(schema: Schema, value: unknown): Schema {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches) return schema;
  const kind = (value as { kind?: unknown } | null)?.kind;
  const pick =
    branches.find((b) => kind !== undefined && (b.properties?.kind as Schema | undefined)?.const === kind) ??
    branches.find((b) => (Array.isArray(value) ? b.type === 'array' : b.type === 'object' || b.properties));
  return pick ? resolveBranch(pick, value) : schema;
}

const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Mutations of a valid value, each of which `schema` (or the well-formedness rules) refuses:
 * wrong types, missing and unknown fields, over-long strings, lone surrogates, NUL, bad
 * timestamps, integers past 2^53 and deep nesting. The caller keeps only those the schema's
 * validator really refuses (a wrong type may still be allowed by a union).
 */
export function mutations(value: unknown, schema: Schema): fc.Arbitrary<Mutation> {
  const places = slots(value, schema, '');
  const options: Array<fc.Arbitrary<Mutation>> = [];
  const at = (pointer: string, replacement: unknown) => replaceAt(value, pointer, replacement);
  for (const place of places) {
    const { pointer } = place;
    const s = place.schema ? resolveBranch(place.schema, place.value) : undefined;
    options.push(
      fc
        .constantFrom<unknown>(12345, 'text', true, null, {}, [], 1.5)
        .map((wrong) => ({ what: `wrong type ${JSON.stringify(wrong)} at ${pointer || '/'}`, field: pointer, value: at(pointer, wrong) })),
      fc.constant({ what: `deep nesting at ${pointer || '/'}`, field: pointer, value: at(pointer, deeplyNested(200)) }),
    );
    if (typeof place.value === 'string') {
      const text = place.value;
      options.push(
        fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\ud83d').map((bad) => ({
          what: `${JSON.stringify(bad)} in the string at ${pointer}`,
          field: pointer,
          value: at(pointer, text + bad),
        })),
      );
      if (s?.maxLength !== undefined) {
        const max = s.maxLength;
        options.push(fc.constantFrom(max + 1, max + 1000, 100_000).map((n) => ({ what: `${n} characters at ${pointer}`, field: pointer, value: at(pointer, 'x'.repeat(n)) })));
      }
      if (s?.format === 'date-time') {
        options.push(fc.constantFrom(...BAD_TIMESTAMPS).map((t) => ({ what: `timestamp ${t} at ${pointer}`, field: pointer, value: at(pointer, t) })));
      }
    }
    if (typeof place.value === 'number') {
      options.push(fc.constant({ what: `2^60 at ${pointer}`, field: pointer, value: at(pointer, 2 ** 60) }));
    }
    if (s && typeof place.value === 'object' && place.value !== null && !Array.isArray(place.value)) {
      const object = place.value as Record<string, unknown>;
      for (const name of s.required ?? []) {
        if (name in object) {
          const { [name]: _, ...rest } = object;
          options.push(fc.constant({ what: `missing ${pointer}/${name}`, field: `${pointer}/${pointerToken(name)}`, value: at(pointer, rest) }));
        }
      }
      if (s.additionalProperties === false) {
        options.push(fc.constant({ what: `unknown field at ${pointer}`, field: `${pointer}/zzUnknown`, value: at(pointer, { ...object, zzUnknown: 1 }) }));
      }
      options.push(
        fc.constantFrom('x\u0000', 'x\ud800').map((key) => ({ what: `field name ${JSON.stringify(key)} at ${pointer}`, field: pointer, value: at(pointer, { ...object, [key]: 1 }) })),
      );
    }
  }
  return fc.oneof(...options);
}

/** A deep copy of `root` with the value at `pointer` replaced. */
function replaceAt(root: unknown, pointer: string, replacement: unknown): unknown {
  if (pointer === '') return replacement;
  const copy = structuredClone(root) as Record<string, unknown>;
  const keys = pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[keys[keys.length - 1]] = replacement;
  return copy;
}
