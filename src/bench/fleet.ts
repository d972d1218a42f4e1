import { Pool } from 'undici';
import { ADMIN_TOKEN, ServeProcess } from './serveProcess.js';

/** What the management API set up: one partner company with one webhook per endpoint. */
export interface Fleet {
  gatewayIds: string[];
  webhookIds: string[];
  /** Each webhook's company's API key (the partner API, e.g. to PATCH the webhook). */
  apiKeys: string[];
}

/**
 * Sets up a fleet through the management API, as the README walkthrough does: one partner
 * company (auto-accepting pairings) per endpoint URL, each with an API key and one webhook on
 * that URL subscribed to CONNECTIVITY_STATUS, and `gateways` gateways each paired with every
 * company (monitor-and-control consent). So every gateway message the load generator sends
 * makes one event and one delivery per endpoint.
 */
export async function setUpFleet(baseUrl: string, endpointUrls: readonly string[], gateways: number): Promise<Fleet> {
  const pool = new Pool(baseUrl, { connections: 8 });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  try {
    const call = async <T>(method: 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<T> => {
      const res = await pool.request({
        method,
        path,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode}: ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    };
    const companyIds: string[] = [];
    const webhookIds: string[] = [];
    const apiKeys: string[] = [];
    for (const [i, url] of endpointUrls.entries()) {
      const company = await call<{ id: string }>('POST', '/v1/admin/companies', admin, {
        name: `Bench Partner ${i + 1}`,
        languages: ['en'],
        autoAccept: true,
      });
      const { apiKey } = await call<{ apiKey: string }>('POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
      const webhook = await call<{ id: string }>('POST', '/v1/webhooks', { 'x-api-key': apiKey }, {
        url,
        apiKeyName: 'x-api-key',
        apiKeyLocation: 'HEADER',
        apiKey: `partner-${i + 1}-receiver-key`,
        eventTypes: ['CONNECTIVITY_STATUS'],
      });
      companyIds.push(company.id);
      webhookIds.push(webhook.id);
      apiKeys.push(apiKey);
    }
    const gatewayIds = Array.from({ length: gateways }, (_, i) => String(100_000_000 + i));
    await inParallel(gatewayIds, 8, async (gatewayId) => {
      await call('POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
      for (const companyId of companyIds) {
        await call('POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId, consent: 'MONITOR_AND_CONTROL' });
      }
    });
    return { gatewayIds, webhookIds, apiKeys };
  } finally {
    await pool.close();
  }
}

async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * Registers a fleet whose webhooks point at `receiverUrl/partner-N`, through a short-lived
 * `serve --roles api` process: for scenarios that then seed the queue straight into the database.
 */
export async function setUpFleetThroughApiProcess(
  databaseUrl: string,
  receiverUrl: string,
  webhooks: number,
  gateways: number,
): Promise<void> {
  const api = await ServeProcess.start(databaseUrl, { roles: 'api' });
  try {
    await setUpFleet(
      api.url,
      Array.from({ length: webhooks }, (_, i) => `${receiverUrl}/partner-${i + 1}`),
      gateways,
    );
  } finally {
    await api.stop();
  }
}
