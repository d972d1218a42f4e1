/**
 * What the fuzzed operations act on: a fresh company with an API key, a gateway paired ACTIVE
 * with it, a webhook on a real local receiver and a dead delivery, made through the public API
 * for every generated valid request (so a DELETE or a cap reached in one run never spoils the
 * next). Plus a snapshot of every table, to prove a refused request changed nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../src/runtime.js';
import { createApiKey, expectCall, partnerHeaders } from '../api/fixtures.js';
import { admin, ingest } from '../helpers/testRuntime.js';

export interface World {
  companyId: string;
  apiKey: string;
  apiKeyId?: string;
  gatewayId: string;
  webhookId: string;
  deliveryId: string;
  /** A registered gateway with no contract yet. */
  freeGatewayId: string;
  headers: Record<string, Record<string, string>>;
}

let counter = 0;
/** A gateway id no run has used (digits, as the schema wants). */
export const freshGatewayId = () => `7${String(Date.now() % 1e9).padStart(9, '0')}${String(++counter).padStart(5, '0')}`;

export async function makeWorld(app: FastifyInstance, rt: Runtime, receiverUrl: string): Promise<World> {
  const company = await expectCall<{ id: string }>(app, 'POST', '/v1/admin/companies', admin, { name: 'Fuzz Heating', languages: ['en', 'de'], autoAccept: true }, 201);
  const apiKey = await createApiKey(app, company.id);
  const partner = partnerHeaders(apiKey);
  const me = await expectCall<{ keyId?: string; id?: string }>(app, 'GET', '/v1/api-keys/me', partner, undefined, 200);
  const [gatewayId, freeGatewayId] = [freshGatewayId(), freshGatewayId()];
  for (const id of [gatewayId, freeGatewayId]) {
    await expectCall(app, 'POST', '/v1/admin/gateways', admin, { gatewayId: id, type: 'K40', timezone: 'Europe/Berlin' }, 201);
  }
  await expectCall(app, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId: company.id, consent: 'MONITOR_AND_CONTROL' }, 201);
  const webhook = await expectCall<{ id: string }>(
    app,
    'POST',
    '/v1/webhooks',
    partner,
    {
      url: receiverUrl,
      apiKeyName: 'x-api-key',
      apiKeyLocation: 'HEADER',
      apiKey: 'fuzz-key',
      eventTypes: ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'],
    },
    201,
  );
  await expectCall(app, 'POST', '/v1/ingest', ingest, { kind: 'connection', gatewayId, status: 'DISCONNECTED' }, 202);
  await rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE webhook_id = ?", [webhook.id]);
  const deliveries = await expectCall<{ data: Array<{ id: string }> }>(app, 'GET', `/v1/webhooks/${webhook.id}/deliveries`, partner, undefined, 200);
  return {
    companyId: company.id,
    apiKey,
    apiKeyId: me.keyId ?? me.id,
    gatewayId,
    webhookId: webhook.id,
    deliveryId: deliveries.data[0].id,
    freeGatewayId,
    headers: { partnerKey: partner, adminToken: admin, ingestToken: ingest },
  };
}

/**
 * Columns that move on a refused request by design: the time a credential was last used is
 * bookkeeping of authentication (which did succeed), not a change the request made.
 */
const BOOKKEEPING = new Set(['last_used_at']);

/** Every row of every table, bookkeeping columns left out, in a stable order. */
export async function snapshotAll(rt: Runtime): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  if (rt.config.database.startsWith('postgres')) {
    // One round trip for all tables: per-table queries made the suite five times slower here.
    const tables = await rt.store.all<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    const drop = [...BOOKKEEPING].map((c) => ` - '${c}'`).join('');
    const rows = await rt.store.all<{ t: string; r: string }>(
      tables.map(({ name }) => `SELECT '${name}' AS t, (to_jsonb(x)${drop})::text AS r FROM ${name} x`).join(' UNION ALL '),
    );
    for (const { name } of tables) out[name] = [];
    for (const { t, r } of rows) out[t].push(r);
    for (const name of Object.keys(out)) out[name].sort();
    return out;
  }
  const tables = await rt.store.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1");
  for (const { name } of tables) {
    const rows = await rt.store.all<Record<string, unknown>>(`SELECT * FROM ${name}`);
    out[name] = rows.map((row) => JSON.stringify(Object.entries(row).filter(([column]) => !BOOKKEEPING.has(column)))).sort();
  }
  return out;
}
