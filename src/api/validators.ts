import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isTimestamp } from '../util/timestamps.js';

const common: Options = { allErrors: true, removeAdditional: false, discriminator: true, useDefaults: true, strict: false };

// Query strings, path parameters and headers arrive as text: `?limit=10` must become 10.
const textParts = new Ajv({ ...common, coerceTypes: 'array' });
// A JSON body has real types: `"apiVersion": "2"` or `"enabled": "false"` is an error, not a guess.
const jsonBody = new Ajv({ ...common, coerceTypes: false });
for (const ajv of [textParts, jsonBody]) {
  addFormats.default(ajv);
  // One strict reading of time everywhere (src/util/timestamps.ts): real dates, years 2000–2100.
  ajv.addFormat('date-time', { type: 'string', validate: isTimestamp });
}

/**
 * Compiles route schemas: JSON bodies strictly, everything that arrives as text with type
 * coercion. (Fastify's single default Ajv coerces bodies too, turning `null` into 0.)
 */
export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? jsonBody : textParts).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

/**
 * A JSON-body schema compiled by the same strict instance as the routes' bodies, for bodies
 * checked outside a route's schema (ingest over HTTP and MQTT share one checker).
 *
 * @example const check = compileBodySchema({ type: 'object', required: ['kind'] }); check({}) // false, check.errors
 */
export function compileBodySchema(schema: object): ValidateFunction {
  return jsonBody.compile(schema);
}
