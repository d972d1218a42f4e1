import type { OpenAPIV3_1 } from 'openapi-types';
import type { ApiVersion } from '../registry.js';
import { eventSchemas, type JsonSchema } from './eventSchemas.js';

/** The headers every event POST carries (DESIGN.md, "Delivery contract"). */
const HEADERS = [
  ['x-api-version', 'MAJOR.MINOR the body is rendered in'],
  ['webhook-id', 'the event id: the same in every attempt and every major, for de-duplication'],
  ['webhook-timestamp', 'seconds since the epoch at signing'],
  ['webhook-signature', 'Standard Webhooks signature(s), `v1,<base64>` separated by spaces'],
  ['webhook-sequence', 'gap-free per webhook and gateway'],
].map(([name, description]) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } }));

/**
 * The OpenAPI 3.1 `webhooks` object: one entry per event type per major (`DATA_POINT.v2`), with
 * its body schema, so code generators and docs show what a receiver gets in each major.
 * Majors without schemas (none today) are left out.
 *
 * @example
 * await app.register(swagger, { openapi: { openapi: '3.1.0', webhooks: openapiWebhooks(rt.config.apiVersions) } });
 */
export function openapiWebhooks(versions: readonly ApiVersion[]): Record<string, OpenAPIV3_1.PathItemObject> {
  const webhooks: Record<string, OpenAPIV3_1.PathItemObject> = {};
  for (const { major, minor } of [...versions].sort((a, b) => a.major - b.major)) {
    const schemas = eventSchemas(major);
    if (!schemas) continue;
    for (const [type, schema] of Object.entries(schemas) as Array<[string, JsonSchema]>) {
      // Cast: the schemas are plain JSON Schema 2020-12, which openapi-types' unions do not model.
      webhooks[`${type}.v${major}`] = {
        post: {
          operationId: `receive${pascalCase(type)}V${major}`,
          tags: ['Events'],
          summary: `${type} event, API version ${major}.${minor}`,
          description: schema.description,
          parameters: HEADERS,
          requestBody: { required: true, content: { 'application/json': { schema } } },
          // Hearthook is the caller here: the receiver checks the signature (and the partner's own API key header).
          security: [],
          responses: { '2XX': { description: 'received; any other answer (or none within the timeout) is retried' } },
        },
      } as unknown as OpenAPIV3_1.PathItemObject;
    }
  }
  return webhooks;
}

/** `DATA_POINT` → `DataPoint`. */
function pascalCase(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}
