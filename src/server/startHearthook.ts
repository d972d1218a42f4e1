import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import type { Config } from '../config/config.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { MqttIngest } from '../ingest/mqttIngest.js';
import type { Runtime } from '../runtime.js';
import { jobList } from '../scheduler/jobList.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { describeDatabase } from '../store/openStore.js';
import { createRuntime, type RuntimeOptions } from './createRuntime.js';

export const ROLES = ['api', 'worker', 'scheduler', 'ingest-mqtt'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningHearthook {
  rt: Runtime;
  app?: FastifyInstance;
  dispatcher?: Dispatcher;
  scheduler?: Scheduler;
  /** MQTT ingest, when the role runs and HEARTHOOK_MQTT_URL is set. */
  mqtt?: MqttIngest;
  /** The address the API listens on, e.g. `http://127.0.0.1:8080`. */
  url?: string;
  stop(): Promise<void>;
}

/**
 * Starts the roles asked for in one process: `api` (management API and ingest), `worker`
 * (the dispatcher), `scheduler` (periodic jobs) and `ingest-mqtt` (gateway messages from the
 * MQTT broker of HEARTHOOK_MQTT_URL; off without one, unless it is the only role asked for).
 * All of them by default.
 */
export async function startHearthook(
  config: Config,
  roles: readonly Role[] = ROLES,
  options: RuntimeOptions = {},
): Promise<RunningHearthook> {
  if (roles.length === 1 && roles[0] === 'ingest-mqtt' && !config.mqttUrl) {
    throw new Error('HEARTHOOK_MQTT_URL: the ingest-mqtt role needs a broker (e.g. mqtt://hearthook:secret@broker:1883)');
  }
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
  if (roles.includes('ingest-mqtt') && config.mqttUrl) {
    running.mqtt = new MqttIngest(rt);
    try {
      await running.mqtt.start();
    } catch (err) {
      await running.scheduler?.stop();
      await running.dispatcher?.stop();
      await rt.store.close();
      throw err;
    }
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
    await running.mqtt?.stop();
    await running.scheduler?.stop();
    await running.dispatcher?.stop();
    await rt.store.close();
  };
  return running;
}
