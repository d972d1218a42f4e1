import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../util/packageRoot.js';
import { consoleSchema } from './routeSchema.js';

const here = join(packageRoot, 'src', 'console', 'assets');
// Wherever npm put it (hoisted or not).
const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/**
 * The console's files, from the package (no CDN: a console must work without internet). A fixed
 * list, read once: no path from a URL ever reaches the file system.
 */
const FILES: Record<string, [string, string]> = {
  'console.css': [join(here, 'console.css'), 'text/css; charset=utf-8'],
  'console.js': [join(here, 'console.js'), 'text/javascript; charset=utf-8'],
  'theme.js': [join(here, 'theme.js'), 'text/javascript; charset=utf-8'],
  'favicon.svg': [join(here, 'favicon.svg'), 'image/svg+xml'],
  'uPlot.iife.min.js': [join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  'uPlot.min.css': [join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8'],
};

/** `GET /console/assets/<name>`. */
export function assetRoutes(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    consoleSchema('getConsoleAsset', 'A stylesheet, script or icon of the console', {
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    }),
    async (request, reply) => {
      const file = FILES[request.params.name];
      if (!file) return reply.code(404).type('text/plain').send('not found');
      let body = cache.get(request.params.name);
      if (!body) {
        body = readFileSync(file[0]);
        cache.set(request.params.name, body);
      }
      return reply.type(file[1]).header('cache-control', 'public, max-age=300').header('x-content-type-options', 'nosniff').send(body);
    },
  );
}
