import { randomBytes } from 'node:crypto';
import type { EventType } from '../../src/domain/eventTypes.js';
import type { Runtime } from '../../src/runtime.js';
import { newId } from '../../src/util/ids.js';

/**
 * Rows written straight into the store, for tests of the pipeline behind the API.
 * (API-level tests use the HTTP fixtures instead.)
 */
export async function seedPartner(
  rt: Runtime,
  opts: {
    url: string;
    eventTypes?: EventType[];
    consent?: 'ERROR_NOTIFICATIONS' | 'MONITOR_AND_CONTROL';
    gatewayId?: string;
    apiKeyLocation?: 'HEADER' | 'QUERY';
    apiVersion?: number;
    languages?: string[];
  },
) {
  const now = rt.clock.now();
  const companyId = newId('cmp');
  const gatewayId = opts.gatewayId ?? String(100000000 + Math.floor(Math.random() * 899999999));
  const webhookId = newId('wh');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const apiKey = `partner-key-${randomBytes(4).toString('hex')}`;
  await rt.store.run('INSERT INTO companies (id, name, languages, auto_accept, created_at) VALUES (?, ?, ?, 0, ?)', [
    companyId,
    'Test Heating Ltd',
    JSON.stringify(opts.languages ?? ['en']),
    now,
  ]);
  await rt.store.run(
    'INSERT INTO gateways (id, type, timezone, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    [gatewayId, 'K40', 'Europe/Berlin', now],
  );
  await rt.store.run(
    "INSERT INTO contracts (gateway_id, company_id, status, consent, created_at, updated_at) VALUES (?, ?, 'ACTIVE', ?, ?, ?)",
    [gatewayId, companyId, opts.consent ?? 'MONITOR_AND_CONTROL', now, now],
  );
  await rt.store.run(
    `INSERT INTO webhooks (id, company_id, url, api_key_name, api_key_location, api_key_enc, secret_enc, event_types,
                           enabled, api_version, created_at, updated_at)
     VALUES (?, ?, ?, 'x-api-key', ?, ?, ?, ?, 1, ?, ?, ?)`,
    [
      webhookId,
      companyId,
      opts.url,
      opts.apiKeyLocation ?? 'HEADER',
      rt.encrypter.encrypt(apiKey),
      rt.encrypter.encrypt(secret),
      JSON.stringify(opts.eventTypes ?? ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE']),
      opts.apiVersion ?? 2,
      now,
      now,
    ],
  );
  return { companyId, gatewayId, webhookId, secret, apiKey };
}
