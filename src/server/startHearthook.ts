import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { forgetGeneratedTokens, type Secrets } from '../config/bootstrapSecrets.js';
import { type Config, ConfigError } from '../config/config.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { MqttIngest } from '../ingest/mqttIngest.js';
import type { Runtime } from '../runtime.js';
import { jobList } from '../scheduler/jobList.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { describeDatabase } from '../store/openStore.js';
import { SqliteStore } from '../store/sqliteStore.js';
import { createRuntime, type RuntimeOptions } from './createRuntime.js';
import { DeliveryThread } from './deliveryThread.js';

export const ROLES = ['api', 'worker', 'scheduler', 'ingest-mqtt'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningHearthook {
  rt: Runtime;
  app?: FastifyInstance;
  /** In this thread, or on a thread of its own (SQLite files: DeliveryThread). */
  dispatcher?: Dispatcher | DeliveryThread;
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
 * All of them by default. Everything that can refuse start-up (settings, rules, database, master
 * key, port, broker) is done before new credentials are printed: a start that fails prints none
 * and keeps none.
 */
export async function startHearthook(
  config: Config,
  roles: readonly Role[] = ROLES,
  options: RuntimeOptions = {},
): Promise<RunningHearthook> {
  if (roles.length === 1 && roles[0] === 'ingest-mqtt' && !config.mqttUrl) {
    throw new ConfigError('HEARTHOOK_MQTT_URL: the ingest-mqtt role needs a broker (e.g. mqtt://hearthook:secret@broker:1883)');
  }
  const { rt, generated, sources, masterKey } = await createRuntime(config, options);
  const running: RunningHearthook = { rt, stop: async () => {} };
  // Undoes a start that failed part-way; it printed no credentials, so it keeps none.
  const abandon = async () => {
    await running.app?.close();
    await running.mqtt?.stop();
    await running.dispatcher?.stop(0);
    await forgetGeneratedTokens(rt.store, { generated });
    await rt.store.close();
  };
  // The dispatcher first: on its own thread it takes a moment to start, and a process that
  // answers /health must be one that has started everything (and handles SIGTERM).
  if (roles.includes('worker')) {
    try {
      running.dispatcher = await startDelivery(rt, masterKey);
    } catch (err) {
      await abandon();
      throw err;
    }
  }
  if (roles.includes('api')) {
    try {
      const app = await buildApp(rt);
      running.app = app;
      running.url = await app.listen({ port: config.port, host: config.host });
      rt.observer.roles.set('api', { running: () => app.server.listening });
    } catch (err) {
      await abandon();
      throw listenError(err as NodeJS.ErrnoException, config);
    }
  }
  if (roles.includes('ingest-mqtt') && config.mqttUrl) {
    const mqtt = new MqttIngest(rt);
    try {
      await mqtt.start();
      running.mqtt = mqtt;
    } catch (err) {
      await abandon();
      throw err;
    }
  }
  printGenerated(generated);
  rt.log.info(describeSources(sources), 'credentials: where each comes from');
  if (roles.includes('scheduler')) {
    const scheduler = new Scheduler(rt, jobList(rt.rules), 1000, config.schedulerLeaseMs);
    running.scheduler = scheduler;
    scheduler.start();
    rt.observer.roles.set('scheduler', { running: () => scheduler.started });
  }
  // The roles that run, not those asked for: ingest-mqtt is asked for by default and runs only with a broker.
  const started = roles.filter((role) => role !== 'ingest-mqtt' || running.mqtt);
  if (running.url) rt.log.info({ url: running.url, database: describeDatabase(config.database), roles: started }, 'Hearthook is listening');
  running.stop = async () => {
    await running.app?.close();
    await running.mqtt?.stop();
    await running.scheduler?.stop();
    await running.dispatcher?.stop();
    await rt.store.close();
  };
  return running;
}

/**
 * The dispatcher. On a SQLite file, on a thread of its own with a second connection, so that
 * ingest and delivery use a core each (BENCHMARKS.md, 2026-12-02). In-memory SQLite cannot be
 * opened twice (and runs from sources, under vitest, have no built script for a worker): there
 * it runs in this thread. PostgreSQL too: there more cores are more processes (`--roles`).
 */
async function startDelivery(rt: Runtime, masterKey: Buffer): Promise<Dispatcher | DeliveryThread> {
  if (rt.store instanceof SqliteStore && rt.store.shareable && DeliveryThread.available()) {
    const joining = { secrets: { adminTokenHash: rt.adminTokenHash, ingestTokenHash: rt.ingestTokenHash, masterKey }, sqliteWriteLock: rt.store.writeLock.buffer };
    const thread = await DeliveryThread.start(rt, joining, (err) => {
      // Never a half-alive process: a supervisor restarts the whole of it.
      rt.log.fatal({ err }, 'the delivery thread failed; exiting');
      process.exit(1);
    });
    rt.observer.roles.set('worker', {
      running: () => thread.running,
      inFlight: () => thread.inFlightCount,
      openCircuits: () => thread.openCircuits,
    });
    return thread;
  }
  const dispatcher = new Dispatcher(rt);
  dispatcher.start();
  rt.observer.roles.set('worker', {
    running: () => dispatcher.running,
    inFlight: () => dispatcher.inFlightCount,
    openCircuits: () => dispatcher.health.openCircuits(rt.clock.now()).length,
  });
  return dispatcher;
}

/** Printed once: only their hashes are stored. */
function printGenerated(generated: Secrets['generated']): void {
  if (!generated.adminToken && !generated.ingestToken) return;
  const lines = ['', 'Hearthook made new credentials. They are shown only now; keep them:'];
  if (generated.adminToken) lines.push(`  HEARTHOOK_ADMIN_TOKEN=${generated.adminToken}`);
  if (generated.ingestToken) lines.push(`  HEARTHOOK_INGEST_TOKEN=${generated.ingestToken}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

const SOURCE_TEXT = { stored: 'stored in the database', generated: 'made on this start' };
const VARIABLE = { adminToken: 'HEARTHOOK_ADMIN_TOKEN', ingestToken: 'HEARTHOOK_INGEST_TOKEN', masterKey: 'HEARTHOOK_MASTER_KEY' };

/** Where the admin and ingest tokens and the master key come from, for the log (never values). */
function describeSources(sources: Secrets['sources']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sources).map(([name, source]) => [
      name,
      source === 'configured' ? `from ${VARIABLE[name as keyof typeof VARIABLE]} (environment or flag)` : SOURCE_TEXT[source],
    ]),
  );
}

/** A listen error as a message naming the setting to change. */
function listenError(err: NodeJS.ErrnoException, config: Config): Error {
  const where = `${config.host}:${config.port}`;
  if (err.code === 'EADDRINUSE') {
    return new ConfigError(`port ${config.port} is in use on ${config.host} (another process listens there): choose another with --port or HEARTHOOK_PORT`);
  }
  if (err.code === 'EACCES') return new ConfigError(`not allowed to listen on ${where}: choose a port above 1023 with --port or HEARTHOOK_PORT`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new ConfigError(`cannot listen on ${config.host}, not an address of this machine: change --host or HEARTHOOK_HOST`);
  }
  return err;
}
