import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: true, removeAdditional: false, discriminator: true, useDefaults: true, strict: false };

// Query strings, path parameters and headers arrive as text: `?limit=10` must become 10.
const textParts = new Ajv({ ...common, coerceTypes: 'array' });
// A JSON body has real types: `"apiVersion": "2"` or `"enabled": "false"` is an error, not a guess.
const jsonBody = new Ajv({ ...common, coerceTypes: false });
addFormats.default(textParts);
addFormats.default(jsonBody);

/**
 * Compiles route schemas: JSON bodies strictly, everything that arrives as text with type
 * coercion. (Fastify's single default Ajv coerces bodies too, turning `null` into 0.)
 */
export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? jsonBody : textParts).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
