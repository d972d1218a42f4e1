import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import type { Config } from '../config/config.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import type { Runtime } from '../runtime.js';
import { jobList } from '../scheduler/jobList.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { describeDatabase } from '../store/openStore.js';
import { createRuntime, type RuntimeOptions } from './createRuntime.js';

export const ROLES = ['api', 'worker', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningHearthook {
  rt: Runtime;
  app?: FastifyInstance;
  dispatcher?: Dispatcher;
  scheduler?: Scheduler;
  /** The address the API listens on, e.g. `http://127.0.0.1:8080`. */
  url?: string;
  stop(): Promise<void>;
}

/**
 * Starts the roles asked for in one process: `api` (management API and ingest), `worker`
 * (the dispatcher) and `scheduler` (periodic jobs). All three by default.
 */
export async function startHearthook(
  config: Config,
  roles: readonly Role[] = ROLES,
  options: RuntimeOptions = {},
): Promise<RunningHearthook> {
  const { rt, generated } = await createRuntime(config, options);
  if (generated.adminToken || generated.ingestToken) {
    // Printed once: only their hashes are stored.
    const lines = ['', 'Hearthook made new credentials. They are shown only now; keep them:'];
    if (generated.adminToken) lines.push(`  HEARTHOOK_ADMIN_TOKEN=${generated.adminToken}`);
    if (generated.ingestToken) lines.push(`  HEARTHOOK_INGEST_TOKEN=${generated.ingestToken}`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
  const running: RunningHearthook = { rt, stop: async () => {} };
  if (roles.includes('worker')) {
    const dispatcher = new Dispatcher(rt);
    running.dispatcher = dispatcher;
    dispatcher.start();
    rt.observer.roles.set('worker', {
      running: () => dispatcher.running,
      inFlight: () => dispatcher.inFlightCount,
      openCircuits: () => dispatcher.health.openCircuits(rt.clock.now()).length,
    });
  }
  if (roles.includes('scheduler')) {
    const scheduler = new Scheduler(rt, jobList(rt.rules), 1000, config.schedulerLeaseMs);
    running.scheduler = scheduler;
    scheduler.start();
    rt.observer.roles.set('scheduler', { running: () => scheduler.started });
  }
  if (roles.includes('api')) {
    running.app = await buildApp(rt);
    const app = running.app;
    running.url = await app.listen({ port: config.port, host: config.host });
    rt.observer.roles.set('api', { running: () => app.server.listening });
    rt.log.info({ url: running.url, database: describeDatabase(config.database), roles }, 'Hearthook is listening');
  }
  running.stop = async () => {
    await running.app?.close();
    await running.scheduler?.stop();
    await running.dispatcher?.stop();
    await rt.store.close();
  };
  return running;
}
