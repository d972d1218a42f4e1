import { call } from './hearthookProcess.js';
import { admin, ingest } from './testRuntime.js';

export interface ProcessPartner {
  companyId: string;
  headers: { 'x-api-key': string };
  gatewayId: string;
  webhookId: string;
  /** The webhook's `whsec_` signing secret, as created. */
  secret: string;
  /** What the webhook sends as `x-api-key` to the receiver. */
  receiverKey: string;
}

/**
 * A company with a gateway (paired, ERROR_NOTIFICATIONS) and a webhook for CONNECTIVITY_STATUS to
 * `url`, made through the HTTP API of a running `hearthook serve` (process tests).
 *
 * @example const p = await processPartner(server.url, receiver.url, '300000001');
 */
export async function processPartner(base: string, url: string, gatewayId: string): Promise<ProcessPartner> {
  const company = await call<{ id: string }>(base, 'POST', '/v1/admin/companies', admin, { name: 'Process Test Heating', languages: ['en'], autoAccept: true });
  const { apiKey } = await call<{ apiKey: string }>(base, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
  await call(base, 'POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
  await call(base, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId: company.id, consent: 'ERROR_NOTIFICATIONS' });
  const receiverKey = `receiver-key-${gatewayId}`;
  const headers = { 'x-api-key': apiKey };
  const webhook = await call<{ id: string; secret: string }>(base, 'POST', '/v1/webhooks', headers, {
    url,
    apiKeyName: 'x-api-key',
    apiKeyLocation: 'HEADER',
    apiKey: receiverKey,
    eventTypes: ['CONNECTIVITY_STATUS'],
  });
  return { companyId: company.id, headers, gatewayId, webhookId: webhook.id, secret: webhook.secret, receiverKey };
}

/**
 * Flips a gateway's connection `times` times through `POST /v1/ingest`: one event each. Flip
 * number `flipped` (counting all earlier calls' flips) is DISCONNECTED when even.
 */
export async function flipConnection(base: string, gatewayId: string, times: number, flipped: number): Promise<void> {
  const batch = Array.from({ length: times }, (_, i) => ({
    kind: 'connection',
    gatewayId,
    status: (flipped + i) % 2 === 0 ? 'DISCONNECTED' : 'CONNECTED',
    messageId: `flip-${flipped + i}`,
  }));
  const res = await call<{ events: number }>(base, 'POST', '/v1/ingest', ingest, batch);
  if (res.events !== times) throw new Error(`expected ${times} events, got ${res.events}`);
}
