import { Pool } from 'undici';
import { newDatabase } from '../benchDatabase.js';
import { formatNumber } from '../progress.js';
import { round, type Scenario } from '../scenario.js';
import { ADMIN_TOKEN, INGEST_TOKEN, ServeProcess } from '../serveProcess.js';
import { median, percentileSorted, sleep } from '../stats.js';

/** Webhooks the noisy company tries to register: what it did before there was a cap. */
const WEBHOOKS_WANTED = 1000;
/** The noisy company's gateways, and the messages of one of its batches (spread over them). */
const NOISY_GATEWAYS = 10;
const NOISY_BATCH = 1000;

type Call = (method: string, path: string, headers: Record<string, string>, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> | undefined }>;

function caller(pool: Pool): Call {
  return async (method, path, headers, body) => {
    const res = await pool.request({
      method: method as 'POST',
      path,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  };
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ingest = { authorization: `Bearer ${INGEST_TOKEN}` };

/** A company with a key; its gateways paired (auto-accepted) with monitor-and-control consent. */
async function company(call: Call, name: string, gatewayIds: string[]): Promise<string> {
  const companyId = (await call('POST', '/v1/admin/companies', admin, { name, languages: ['en'], autoAccept: true })).json?.id as string;
  const key = (await call('POST', `/v1/admin/companies/${companyId}/api-keys`, admin)).json?.apiKey as string;
  for (const gatewayId of gatewayIds) {
    await call('POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
    await call('POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId, consent: 'MONITOR_AND_CONTROL' });
  }
  return key;
}

/**
 * Registers up to `wanted` webhooks as fast as the API lets it (waiting out 429s as a client
 * should), until the cap answers 409. Returns how many were registered.
 */
async function registerWebhooks(call: Call, apiKey: string, wanted: number): Promise<{ registered: number; capped: boolean }> {
  let registered = 0;
  while (registered < wanted) {
    const res = await call('POST', '/v1/webhooks', { 'x-api-key': apiKey }, {
      url: `http://127.0.0.1:9/noisy-${registered}`,
      apiKeyName: 'x-api-key',
      apiKeyLocation: 'HEADER',
      apiKey: 'noisy',
      eventTypes: ['CONNECTIVITY_STATUS'],
    });
    if (res.status === 409) return { registered, capped: true };
    if (res.status === 429) await sleep(500);
    else if (res.status === 201) registered++;
    else throw new Error(`POST /v1/webhooks → ${res.status}: ${JSON.stringify(res.json)}`);
  }
  return { registered, capped: false };
}

/** Sequential one-message ingests of the quiet company's gateway; their latencies in ms. */
async function quietLatencies(call: Call, gatewayId: string, samples: number, online: { value: boolean }): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    online.value = !online.value;
    const body = { kind: 'connection', gatewayId, status: online.value ? 'CONNECTED' : 'DISCONNECTED' };
    const started = performance.now();
    const res = await call('POST', '/v1/ingest', ingest, body);
    out.push(performance.now() - started);
    if (res.status !== 202) throw new Error(`quiet ingest → ${res.status}: ${JSON.stringify(res.json)}`);
    await sleep(20);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The noisy company (issue 12): one company registers as many webhooks as it can (it asks for
 * 1,000; the cap gives it 20) and floods ingest with 1,000-message batches over its gateways,
 * ignoring 429s; another company's one-message ingest latency is measured before and during
 * the flood, on one `serve --roles api` process with the default limits.
 */
export const noisyCompany: Scenario = {
  name: 'noisy',
  title: 'Noisy company: another company’s ingest latency (caps and limits on)',
  async run({ options, progress }) {
    const samples = options.quick ? 40 : 150;
    const db = newDatabase(options, 'noisy');
    const serve = await ServeProcess.start(db.url, { roles: 'api', env: { HEARTHOOK_RATE_LIMIT: 'on' } });
    const pool = new Pool(serve.url, { connections: 4 });
    const call = caller(pool);
    let stopping = false;
    try {
      progress.update('setting up the quiet and the noisy company');
      const quietGateway = '300000001';
      const quietKey = await company(call, 'Quiet Heating', [quietGateway]);
      await registerWebhooks(call, quietKey, 1);
      const noisyGateways = Array.from({ length: NOISY_GATEWAYS }, (_, i) => String(310_000_001 + i));
      const noisyKey = await company(call, 'Noisy Heating', noisyGateways);
      const webhooks = await registerWebhooks(call, noisyKey, WEBHOOKS_WANTED);
      const online = { value: true };
      progress.update('baseline: the quiet company alone');
      await quietLatencies(call, quietGateway, 5, online); // warm-up
      const baseline = await quietLatencies(call, quietGateway, samples, online);

      progress.update('the noisy company floods');
      const noise = { accepted: 0, refused: 0, batches: 0 };
      const flooding = (async () => {
        const status = noisyGateways.map(() => true);
        while (!stopping) {
          const parts: string[] = [];
          for (let i = 0; i < NOISY_BATCH; i++) {
            const g = i % NOISY_GATEWAYS;
            status[g] = !status[g];
            parts.push(`{"kind":"connection","gatewayId":"${noisyGateways[g]}","status":"${status[g] ? 'CONNECTED' : 'DISCONNECTED'}"}`);
          }
          const res = await call('POST', '/v1/ingest', ingest, `[${parts.join(',')}]`);
          noise.batches++;
          if (res.status === 202) noise.accepted += NOISY_BATCH;
          else noise.refused += NOISY_BATCH;
        }
      })();
      await sleep(2000); // past the first bursts, into the sustained rate
      const noisy = await quietLatencies(call, quietGateway, samples, online);
      stopping = true;
      await flooding;
      const [b50, n50] = [median(baseline), median(noisy)];
      const ratio = n50 / b50;
      progress.update(`median ${formatNumber(b50)} ms → ${formatNumber(n50)} ms (×${ratio.toFixed(2)})`);
      return {
        scenario: 'noisy',
        title: this.title,
        figures: [
          { name: 'quiet ingest, baseline (median)', value: round(b50, 1), unit: 'ms', note: `${samples} one-message ingests, one at a time` },
          { name: 'quiet ingest, during the flood (median)', value: round(n50, 1), unit: 'ms' },
          {
            name: 'flood / baseline',
            value: round(ratio, 2),
            unit: '×',
            target: { op: '<=', value: 2, text: '≤ 2×' },
            note: `noisy company: ${webhooks.registered} webhooks of ${WEBHOOKS_WANTED} asked (cap), ${NOISY_BATCH}-message batches over ${NOISY_GATEWAYS} gateways`,
          },
        ],
        details: {
          engine: db.engine,
          baselineP95Ms: round(percentileSorted(baseline, 95), 1),
          floodP95Ms: round(percentileSorted(noisy, 95), 1),
          noisyWebhooks: webhooks.registered,
          webhookCapReached: webhooks.capped,
          noisyBatches: noise.batches,
          noisyMessagesAccepted: noise.accepted,
          noisyMessagesRefused429: noise.refused,
          peakRssMiB: round(serve.peakRssMiB(), 1),
        },
      };
    } finally {
      stopping = true;
      await pool.close();
      await serve.stop();
      await db.drop();
    }
  },
};
