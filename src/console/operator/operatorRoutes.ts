import type { FastifyPluginAsync } from 'fastify';
import { listTroubledWebhooks, WEBHOOK_TROUBLES } from '../../api/admin/webhookHealth.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { guard } from '../guard.js';
import type { LiveStreams } from '../live.js';
import { listCompanies } from '../queries/companies.js';
import { lastFailure } from '../queries/lastFailure.js';
import { fleetSeries, sharedFleetCounters } from '../queries/fleet.js';
import type { Range } from '../queries/timeSeries.js';
import { sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';

/** How often the fleet counters are sent to an open fleet page. */
const FLEET_TICK_MS = 2000;

/** The operator's pages under /console/operator (admin-token sessions only). */
export function operatorRoutes(rt: Runtime, live: LiveStreams): FastifyPluginAsync {
  return async (app) => {
    app.addHook('preValidation', guard(rt, 'operator'));
    const base = (request: import('fastify').FastifyRequest) => ({ session: request.consoleSession, version: packageVersion });
    // Every open fleet tab of this process reads one computation per tick, not one each.
    const fleetCounters = sharedFleetCounters(rt.store, rt.clock, FLEET_TICK_MS);

    app.get('/', consoleSchema('showConsoleFleet', 'The fleet: gateways, event and delivery rates, queue, failing endpoints, open circuits, dead letters'), async (request, reply) => {
      const counters = await fleetCounters();
      return sendPage(reply, 'operator/fleet', { title: 'Fleet', nav: 'fleet', ...base(request), counters });
    });

    app.get('/live', consoleSchema('streamConsoleFleet', 'Server-Sent Events: a `counters` event with the fleet counters every 2 seconds'), async (request, reply) => {
      live.open(rt, request, reply, FLEET_TICK_MS, async () => [{ event: 'counters', data: await fleetCounters() }]);
    });

    app.get<{ Querystring: { range: Range } }>(
      '/series',
      consoleSchema('getConsoleFleetSeries', 'Events per second by type, deliveries per second by outcome (delivered, failed, dead) and the fleet counters sampled each minute, per minute of the last hour (or quarter hour of the day)', {
        querystring: { type: 'object', properties: { range: { type: 'string', enum: ['hour', 'day'], default: 'hour' } } },
      }),
      async (request) => fleetSeries(rt.store, request.query.range, rt.clock.now(), await fleetCounters()),
    );

    app.get('/webhooks', consoleSchema('showConsoleTroubledWebhooks', 'Failing, disabled, broken and auto-upgraded webhooks across companies'), async (request, reply) => {
      const now = rt.clock.now();
      const lists = await Promise.all(WEBHOOK_TROUBLES.map(async (status) => ({ status, rows: await listTroubledWebhooks(rt.store, status, 200, now) })));
      // Why a failing one fails: what its endpoint last answered.
      const failing = lists.find((l) => l.status === 'failing')?.rows ?? [];
      const failures = new Map(
        await Promise.all(failing.map(async (w) => [w.id, await lastFailure(rt.store, w.id, w.failingSince ? Date.parse(w.failingSince) : 0)] as const)),
      );
      const names = new Map((await listCompanies(rt.store)).map((c) => [c.id, c.name]));
      return sendPage(reply, 'operator/webhooks', { title: 'Webhooks in trouble', nav: 'troubled', ...base(request), lists, names, failures, now });
    });

    app.get('/companies', consoleSchema('showConsoleCompanies', 'Companies and their API keys'), async (request, reply) => {
      const companies = await listCompanies(rt.store);
      return sendPage(reply, 'operator/companies', { title: 'Companies', nav: 'companies', ...base(request), companies, now: rt.clock.now() });
    });
  };
}
