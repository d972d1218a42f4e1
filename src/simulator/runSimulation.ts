import type { RawMessage } from '../ingest/messageSchema.js';
import { createFleet, type SimGateway } from './fleet.js';
import { CallError, HearthookClient } from './hearthookClient.js';
import { MqttFleet } from './mqttFleet.js';
import { emptyStats, ProgressLine, type SimulationStats, summary } from './progress.js';
import { Random } from './random.js';
import { faultCatalogCodes, TrafficGenerator } from './traffic.js';

/** What `hearthook simulate` was asked to do. */
export interface SimulationOptions {
  gateways: number;
  /** Messages per second, over the whole fleet. */
  rate: number;
  /** Base URL of a running Hearthook. */
  target: URL;
  /** Stop after this long; undefined: until aborted. */
  durationMs?: number;
  faults: boolean;
  outages: boolean;
  /** Needed to send over HTTP (without `mqtt`). */
  ingestToken?: string;
  /** Publish over this MQTT broker instead of POST /v1/ingest: one client per gateway, with its will. */
  mqtt?: URL;
  /** Topic prefix on the broker (`<prefix>/<gatewayId>/messages`). */
  mqttTopicPrefix?: string;
  /** With it the gateways are registered first (and paired, with `company`). */
  adminToken?: string;
  company?: string;
  seed: number;
}

export interface SimulationIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C: the run stops sending, waits for requests in flight, and reports. */
  signal: AbortSignal;
}

/** A problem that makes the run pointless: a refused token, an unknown company, no server. */
export class SimulationError extends Error {}

/** Requests in flight at once: enough to hide a commit's latency, few enough not to flood. */
const MAX_IN_FLIGHT = 4;
/** Messages go out five times a second, each tick's as one batch (at most 1000 per request). */
const TICK_MS = 200;
const MAX_BATCH = 1000;

/**
 * Runs a simulated gateway fleet against a Hearthook: registers and pairs the gateways if given
 * an admin token, uploads each gateway's previous-day readings, then sends `rate` messages
 * a second until the duration is over or `io.signal` aborts, with a progress line on stderr and
 * a summary on stdout. Throws SimulationError when it cannot work at all.
 *
 * @example
 * await runSimulation({ gateways: 50, rate: 20, target: new URL('http://localhost:8080'), faults: true,
 *   outages: true, ingestToken, seed: 42 }, { stdout: process.stdout, stderr: process.stderr, signal });
 */
export async function runSimulation(options: SimulationOptions, io: SimulationIo): Promise<SimulationStats> {
  const startedAt = Date.now();
  const rng = new Random(options.seed);
  const fleet = createFleet(options.gateways);
  const traffic = new TrafficGenerator(fleet, rng, {
    faults: options.faults,
    outages: options.outages,
    faultCodes: faultCatalogCodes(),
    messageIdPrefix: `sim${options.seed.toString(36)}-${startedAt.toString(36)}`,
  });
  const client = new HearthookClient(options.target, options.ingestToken ?? '', options.adminToken);
  const stats = emptyStats();

  if (options.adminToken) await setUpFleet(client, fleet, options, io);
  const runId = `sim${options.seed.toString(36)}-${startedAt.toString(36)}`;
  const overMqtt = options.mqtt ? await connectFleet(options, fleet, stats, runId) : undefined;
  const deliver = (batch: RawMessage[], first: boolean) => (overMqtt ? overMqtt.publish(batch) : send(client, batch, stats, first));
  // The first upload runs alone: a wrong token or unregistered gateways stop the run here.
  for (const chunk of chunks(traffic.previousDay(startedAt), MAX_BATCH)) await deliver(chunk, true);

  const start = Date.now();
  const progress = new ProgressLine(io.stderr, start);
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;
  let slots = 0;
  let nextProgress = start + 1000;
  while (!io.signal.aborted && fatal === undefined) {
    const now = Date.now();
    if (options.durationMs !== undefined && now - start >= options.durationMs) break;
    // At most a second's worth at once: a Hearthook that fell behind is not flooded when it recovers.
    let due = Math.min(Math.floor(((now - start) / 1000) * options.rate) - slots, Math.ceil(options.rate));
    if (due > 0 && inFlight.size < MAX_IN_FLIGHT) {
      const batch: RawMessage[] = [];
      // Message times follow the count, not the clock: the same seed gives the same traffic. A
      // slot of two messages counts two; one of silence (an offline gateway) counts one.
      while (due > 0) {
        const messages = traffic.next(start + (slots * 1000) / options.rate);
        batch.push(...messages);
        slots += Math.max(1, messages.length);
        due -= Math.max(1, messages.length);
      }
      for (const chunk of chunks(batch, MAX_BATCH)) {
        const request: Promise<void> = deliver(chunk, false)
          .catch((err) => {
            fatal ??= err;
          })
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
    }
    if (now >= nextProgress) {
      progress.update(stats, now);
      nextProgress += 1000;
    }
    await sleep(TICK_MS, io.signal);
  }
  await Promise.allSettled(inFlight);
  await overMqtt?.close();
  progress.update(stats, Date.now());
  progress.end();
  if (fatal !== undefined) throw fatal;
  io.stdout.write(summary(stats, { gateways: options.gateways, elapsedMs: Date.now() - start, seed: options.seed }));
  if (overMqtt) io.stdout.write(`over MQTT: ${overMqtt.killed} gateway connections killed, so the broker published their wills\n`);
  return stats;
}

/** Every gateway's MQTT client, connected; a refusing broker ends the run with a SimulationError. */
async function connectFleet(options: SimulationOptions, fleet: SimGateway[], stats: SimulationStats, runId: string): Promise<MqttFleet> {
  try {
    return await MqttFleet.connect(options.mqtt!, options.mqttTopicPrefix ?? 'hearthook/gateways', fleet, stats, runId);
  } catch (err) {
    throw new SimulationError((err as Error).message);
  }
}

/** Registers every gateway (already there is fine) and pairs it with the company, if given. */
async function setUpFleet(client: HearthookClient, fleet: SimGateway[], options: SimulationOptions, io: SimulationIo): Promise<void> {
  let created = 0;
  let pending = 0;
  await inParallel(fleet, 8, async (g) => {
    if (await guard(() => client.registerGateway(g), 'registering gateways')) created++;
    if (options.company && (await guard(() => client.pair(g.id, options.company!), 'pairing gateways')) === 'PENDING') pending++;
  });
  io.stderr.write(`registered ${created} gateways (${fleet.length - created} were already there)\n`);
  if (options.company) io.stderr.write(`paired them with ${options.company} (MONITOR_AND_CONTROL)\n`);
  if (pending > 0) {
    io.stderr.write(`${pending} contracts are PENDING: events flow once the company accepts them (or is set to auto-accept)\n`);
  }
}

/** Sends one batch and counts the answer. A refusal that no retry can fix is thrown as SimulationError. */
async function send(client: HearthookClient, batch: RawMessage[], stats: SimulationStats, first: boolean): Promise<void> {
  stats.sent += batch.length;
  stats.requests++;
  try {
    const answer = await client.ingest(batch);
    stats.accepted += answer.accepted;
    stats.duplicates += answer.duplicates;
    stats.events += answer.events;
  } catch (err) {
    stats.errors += batch.length;
    stats.lastError = err instanceof CallError ? `${err.message} ${err.fields.slice(0, 1).join('')}`.trim() : describe(err);
    if (err instanceof CallError && err.status === 401) throw new SimulationError(`the ingest token was refused: ${err.title}`);
    if (err instanceof CallError && err.fields.some((f) => f.includes('is not known'))) {
      throw new SimulationError('the gateways are not registered: pass --admin-token to register them (ids from 900000001)');
    }
    if (first && !(err instanceof CallError)) throw new SimulationError(`no answer from Hearthook: ${describe(err)}`);
  }
}

/** Runs a setup call; an error there ends the run with a message saying what failed. */
async function guard<T>(call: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CallError && err.status === 401) throw new SimulationError(`${doing}: the admin token was refused`);
    if (err instanceof CallError && err.status === 404) throw new SimulationError(`${doing}: ${err.title}`);
    throw new SimulationError(`${doing}: ${err instanceof CallError ? err.message : describe(err)}`);
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
