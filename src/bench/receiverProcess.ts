/**
 * A partner endpoint for the benchmark, run as its own process (forked with IPC by
 * `receiver.ts`) so its CPU is not the load generator's. It listens on one port per endpoint,
 * counts requests, and takes each request's latency from the `occurredAt` of the body (the
 * benchmark puts the time the ingest request was sent there, as the message's `sentAt`).
 * Mode `ok` answers 200 at once; mode `hang` reads the request and never answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentileSorted } from './stats.js';

export type ReceiverMode = 'ok' | 'hang';

export type ReceiverRequest =
  | { op: 'listen'; endpoints: number; mode: ReceiverMode }
  | { op: 'counts' }
  | { op: 'latency'; since: number; until?: number }
  | { op: 'milestones'; counts: number[] }
  | { op: 'milestoneTimes' }
  | { op: 'close' };

export interface Counts {
  total: number;
  perEndpoint: number[];
  /** When counted (ms since the epoch, sub-millisecond). */
  at: number;
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

const servers: Server[] = [];
/** Requests of a `hang` endpoint, held so they are never answered (the client gives up). */
const held = new Set<ServerResponse>();
let total = 0;
const perEndpoint: number[] = [];
let arrivals = new Float64Array(1 << 16);
let latencies = new Float64Array(1 << 16);
let samples = 0;
let milestones: number[] = [];
let milestoneTimes: number[] = [];

const now = () => performance.timeOrigin + performance.now();

function record(arrivedAt: number, latency: number): void {
  if (samples === arrivals.length) {
    const a = new Float64Array(arrivals.length * 2);
    a.set(arrivals);
    arrivals = a;
    const l = new Float64Array(latencies.length * 2);
    l.set(latencies);
    latencies = l;
  }
  arrivals[samples] = arrivedAt;
  latencies[samples] = latency;
  samples++;
}

const OCCURRED_AT = '"occurredAt":"';

function handler(endpoint: number, mode: ReceiverMode) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrivedAt = now();
      total++;
      perEndpoint[endpoint]++;
      if (milestoneTimes.length < milestones.length && total >= milestones[milestoneTimes.length]) milestoneTimes.push(arrivedAt);
      const body = chunks.length === 1 ? chunks[0].toString('latin1') : Buffer.concat(chunks).toString('latin1');
      const at = body.indexOf(OCCURRED_AT);
      if (at >= 0) {
        const start = at + OCCURRED_AT.length;
        const sentAt = Date.parse(body.slice(start, body.indexOf('"', start)));
        // Both clocks are this machine's wall clock; sentAt has millisecond resolution.
        if (Number.isFinite(sentAt)) record(arrivedAt, Math.floor(arrivedAt) - sentAt);
      }
      if (mode === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
  };
}

async function listen(endpoints: number, mode: ReceiverMode): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < endpoints; i++) {
    const index = perEndpoint.length;
    perEndpoint.push(0);
    const server = createServer({ keepAliveTimeout: 60_000 }, handler(index, mode));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  return ports;
}

function latency(since: number, until = Number.POSITIVE_INFINITY): LatencySummary {
  const picked: number[] = [];
  for (let i = 0; i < samples; i++) if (arrivals[i] >= since && arrivals[i] < until) picked.push(latencies[i]);
  const sorted = Float64Array.from(picked).sort();
  return {
    samples: sorted.length,
    p50: percentileSorted(sorted, 50),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

async function handle(request: ReceiverRequest): Promise<unknown> {
  switch (request.op) {
    case 'listen':
      return listen(request.endpoints, request.mode);
    case 'counts':
      return { total, perEndpoint, at: now() } satisfies Counts;
    case 'latency':
      return latency(request.since, request.until);
    case 'milestones':
      milestones = request.counts;
      milestoneTimes = [];
      while (milestoneTimes.length < milestones.length && total >= milestones[milestoneTimes.length]) milestoneTimes.push(now());
      return null;
    case 'milestoneTimes':
      return milestoneTimes;
    case 'close':
      for (const server of servers) server.closeAllConnections();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: { id: number; request: ReceiverRequest }) => {
  handle(message.request).then(
    (result) => process.send?.({ id: message.id, result }),
    (err: Error) => process.send?.({ id: message.id, error: err.message }),
  );
});
// Pushed counts feed the load generator's closed loop without a round trip per check.
setInterval(() => process.send?.({ push: { total, perEndpoint, at: now() } }), 20).unref();
process.on('disconnect', () => process.exit(0));
