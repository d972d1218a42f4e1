import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The API reference at `/docs`: Swagger UI rendering this server's OpenAPI document, its script
 * and styles served from the package (`swagger-ui-dist`), so the page works offline and behind
 * a firewall. Its content security policy lets it load nothing from elsewhere.
 *
 * @example open http://localhost:8080/docs
 */
export async function registerDocsPage(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
    staticCSP: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'",
  });
}
