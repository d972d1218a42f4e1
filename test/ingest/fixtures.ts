import { expect } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { ingest, type TestHearthook } from '../helpers/testRuntime.js';

export const GATEWAY = '101506113';
const ALL_TYPES = ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'];

/** A gateway row, inserted directly (the admin routes are not needed for rule tests). */
export async function addGateway(rt: Runtime, id = GATEWAY, timezone = 'Europe/Berlin'): Promise<void> {
  await rt.store.run('INSERT INTO gateways (id, type, timezone, created_at) VALUES (?, ?, ?, ?)', [
    id,
    'K30',
    timezone,
    rt.clock.now(),
  ]);
}

/** A company with a contract for the gateway and one enabled webhook subscribed to `eventTypes`. */
export async function addPartner(
  rt: Runtime,
  options: { company?: string; gatewayId?: string; status?: string; consent?: string; eventTypes?: string[] } = {},
): Promise<{ companyId: string; webhookId: string }> {
  const companyId = options.company ?? 'cmp_installer';
  const webhookId = `wh_${companyId}`;
  const now = rt.clock.now();
  await rt.store.run('INSERT INTO companies (id, name, languages, created_at) VALUES (?, ?, ?, ?)', [
    companyId,
    'Heizung Müller GmbH',
    '["de","en"]',
    now,
  ]);
  await rt.store.run(
    'INSERT INTO contracts (gateway_id, company_id, status, consent, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    [options.gatewayId ?? GATEWAY, companyId, options.status ?? 'ACTIVE', options.consent ?? 'MONITOR_AND_CONTROL', now, now],
  );
  await rt.store.run(
    `INSERT INTO webhooks (id, company_id, url, api_key_name, api_key_location, api_key_enc, secret_enc, event_types,
                           enabled, api_version, created_at, updated_at)
     VALUES (?, ?, 'https://partner.example/hook', 'x-api-key', 'HEADER', 'enc-key', 'enc-secret', ?, 1, 1, ?, ?)`,
    [webhookId, companyId, JSON.stringify(options.eventTypes ?? ALL_TYPES), now, now],
  );
  return { companyId, webhookId };
}

/** POSTs messages to /v1/ingest. */
export function post(hh: TestHearthook, body: unknown) {
  return hh.app.inject({ method: 'POST', url: '/v1/ingest', headers: ingest, payload: body as object });
}

/** POSTs messages (gatewayId defaults to GATEWAY) and expects them accepted. */
export async function send(hh: TestHearthook, ...messages: Array<Record<string, unknown>>) {
  const res = await post(
    hh,
    messages.map((m) => ({ gatewayId: GATEWAY, ...m })),
  );
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { accepted: number; duplicates: number; events: number };
}

export interface EventRow {
  id: string;
  type: string;
  gateway_id: string;
  data: Record<string, unknown>;
  occurred_at: number | null;
  created_at: number;
}

/** The events table, oldest first, data parsed; optionally of one type. */
export async function events(rt: Runtime, type?: string): Promise<EventRow[]> {
  const rows = await rt.store.all<Omit<EventRow, 'data'> & { data: string }>(
    `SELECT * FROM events ${type ? 'WHERE type = ?' : ''} ORDER BY id`,
    type ? [type] : [],
  );
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) }));
}

/** How many rows a table has. */
export async function count(rt: Runtime, table: string): Promise<number> {
  const row = await rt.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return row!.n;
}

export const MINUTE = 60_000;
