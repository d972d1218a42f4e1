import type { FastifyInstance } from 'fastify';
import { sampleEvent } from '../../api/partner/webhookTest.js';
import { EVENT_TYPES } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { RENDERERS } from '../../versions/renderEvent.js';
import { listVersions } from '../../versions/registry.js';
import { eventSchemas } from '../../versions/schemas/eventSchemas.js';
import { sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';

/** Every event type in every major, with its JSON Schema and an example. */
export function catalogPage(app: FastifyInstance, rt: Runtime): void {
  app.get('/catalog', consoleSchema('showConsoleEventCatalog', 'Every event type in every API major, with its JSON Schema and an example'), async (request, reply) => {
    const now = rt.clock.now();
    const majors = listVersions(now, rt.config.apiVersions)
      .filter((v) => eventSchemas(v.major) && RENDERERS[v.major])
      .map((v) => ({
        ...v,
        types: EVENT_TYPES.map((type) => ({
          type,
          schema: JSON.stringify(eventSchemas(v.major)![type], null, 2),
          example: JSON.stringify(JSON.parse(RENDERERS[v.major](sampleEvent(type, now), { sequence: 1, languages: ['en'] })), null, 2),
        })),
      }));
    return sendPage(reply, 'partner/catalog', { title: 'Event catalog', nav: 'catalog', session: request.consoleSession, version: packageVersion, majors });
  });
}
