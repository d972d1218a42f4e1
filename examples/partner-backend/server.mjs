// @ts-check
/**
 * A partner's receiver for Hearthook webhooks, to start from: node:http, better-sqlite3 and the
 * `hearthook/receiver` SDK. For each delivery it verifies the signature, parses the event,
 * hands it to a SequenceTracker (duplicates dropped, events applied in sequence order per
 * gateway, gaps filled from the catch-up API), applies it to a per-gateway state table once, and
 * answers 204 only after that is committed. See README.md.
 *
 *   HEARTHOOK_URL=https://hearthook.example HEARTHOOK_API_KEY=xHCSAPI… WEBHOOK_ID=wh_… \
 *   WEBHOOK_SECRET=whsec_… node server.mjs
 */
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { catchUpGapFiller, InvalidEventError, parseEvent, SequenceTracker, SqliteSequenceStore, verify, WebhookVerificationError } from 'hearthook/receiver';
import { gatewayState } from './gatewayState.mjs';

const config = {
  port: Number(process.env.PORT ?? 3000),
  hearthookUrl: required('HEARTHOOK_URL'),
  apiKey: required('HEARTHOOK_API_KEY'),
  webhookId: required('WEBHOOK_ID'),
  // Comma-separated during a secret rotation: the new and the previous one.
  secrets: required('WEBHOOK_SECRET').split(','),
  database: process.env.DATABASE ?? 'partner-backend.db',
  // How long an event that arrived after a gap waits for the gap to fill before catch-up fills it.
  holdMs: Number(process.env.HOLD_MS ?? 30_000),
};

const db = new Database(config.database);
const state = gatewayState(db);
const stats = { received: 0, applied: 0, duplicates: 0, held: 0, late: 0, gapsFilled: 0, gapsGivenUp: 0 };

// The webhook's event types: a gap holds only those, so catch-up must read only those.
const webhook = await hearthook(`/v1/webhooks/${encodeURIComponent(config.webhookId)}`);
const fillFromCatchUp = catchUpGapFiller({ baseUrl: config.hearthookUrl, apiKey: config.apiKey, eventTypes: webhook.eventTypes });
/** @type {SequenceTracker<import('hearthook/receiver').HearthookEvent>} */
const tracker = new SequenceTracker({
  store: new SqliteSequenceStore(db),
  holdForMs: config.holdMs,
  fillGap: async (gap) => {
    const events = await fillFromCatchUp(gap);
    if (events.length > 0) stats.gapsFilled++;
    return events;
  },
  onGap: (gap) => {
    stats.gapsGivenUp++;
    console.warn(`gap given up: gateway ${gap.gatewayId}, sequences ${gap.from}–${gap.to}`);
  },
});

/** @param {import('hearthook/receiver').HearthookEvent} event */
function applyOnce(event) {
  if (state.apply(event)) stats.applied++;
  else stats.duplicates++;
}

// Held events whose gap did not fill in time: filled from catch-up, then applied in order.
const releaser = setInterval(() => {
  tracker.releaseExpired(applyOnce).catch((err) => console.error('releasing held events failed; retried next time:', err.message));
}, Math.min(5_000, Math.max(250, config.holdMs / 4)));

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/hooks') return await receive(req, res);
    if (req.method === 'GET' && url.pathname === '/gateways') return json(res, 200, state.readAll());
    const one = /^\/gateways\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const gateway = state.read(decodeURIComponent(one[1]));
      return gateway ? json(res, 200, gateway) : json(res, 404, { error: 'no such gateway' });
    }
    if (req.method === 'GET' && url.pathname === '/applied-events') return json(res, 200, state.appliedIds());
    if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, stats);
    json(res, 404, { error: 'not found' });
  } catch (err) {
    // Hearthook retries a 5xx: nothing is lost by failing here.
    console.error(err);
    if (!res.headersSent) json(res, 500, { error: 'internal error' });
  }
});

/**
 * One delivery: verify the raw body, parse, order and apply, then 204. A bad signature is 401
 * and a body that is no Hearthook event 400 (Hearthook retries those, so a deploy that broke
 * parsing loses nothing once fixed).
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function receive(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  stats.received++;
  try {
    await verify(raw, req.headers, config.secrets);
  } catch (err) {
    if (err instanceof WebhookVerificationError) return json(res, 401, { error: err.message });
    throw err;
  }
  let event;
  try {
    event = parseEvent(raw, req.headers);
  } catch (err) {
    if (err instanceof InvalidEventError) return json(res, 400, { error: err.message });
    throw err;
  }
  const arrival = await tracker.receive(config.webhookId, event, applyOnce);
  if (arrival === 'duplicate') stats.duplicates++;
  if (arrival === 'held') stats.held++;
  if (arrival === 'late') stats.late++;
  res.writeHead(204).end();
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** @param {string} path */
async function hearthook(path) {
  const res = await fetch(new URL(path, config.hearthookUrl), { headers: { 'x-api-key': config.apiKey } });
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${await res.text()}`);
  return res.json();
}

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`partner-backend: set ${name}`);
    process.exit(2);
  }
  return value;
}

server.listen(config.port, () => console.log(`partner-backend: listening on :${config.port}, POST /hooks`));
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    clearInterval(releaser);
    server.close(() => {
      db.close();
      process.exit(0);
    });
    server.closeAllConnections();
  });
}
