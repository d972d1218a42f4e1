/**
 * The baseline of scenario 6: what a TypeScript team would write instead of Hearthook, on
 * pg-boss (10.x, the last line that runs on Node 20): an ingest endpoint that turns each gateway
 * message into one job per webhook, inserted in one statement before the 202 (so it is as
 * durable as Hearthook's), and workers that fetch jobs in batches and POST each with undici,
 * signed like Standard Webhooks. No rules, sequences or attempt log: less work than Hearthook
 * does, so the comparison flatters the baseline. Run as a process forked by the benchmark, with
 * its settings as JSON in argv[2]; it reports `{ port }` over IPC when it listens.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import PgBoss from 'pg-boss';
import { Pool } from 'undici';

export interface BaselineSettings {
  connectionString: string;
  schema: string;
  endpoints: string[];
  ingestToken: string;
  /** Workers (`boss.work` calls) and the jobs each fetches per poll. */
  workers: number;
  batchSize: number;
}

interface DeliveryJob {
  url: string;
  id: string;
  body: string;
}

const QUEUE = 'deliveries';
const settings = JSON.parse(process.argv[2]) as BaselineSettings;
const secret = Buffer.from('bench-baseline-signing-secret');
const pools = new Map<string, Pool>();

const boss = new PgBoss({ connectionString: settings.connectionString, schema: settings.schema, max: 10 });
boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
await boss.start();
await boss.createQueue(QUEUE);

async function post(job: DeliveryJob): Promise<void> {
  const url = new URL(job.url);
  let pool = pools.get(url.origin);
  if (!pool) {
    pool = new Pool(url.origin, { connections: 64, keepAliveTimeout: 30_000 });
    pools.set(url.origin, pool);
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`${job.id}.${timestamp}.${job.body}`).digest('base64');
  const res = await pool.request({
    method: 'POST',
    path: url.pathname,
    headers: {
      'content-type': 'application/json',
      'webhook-id': job.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${signature}`,
    },
    body: job.body,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
}

for (let i = 0; i < settings.workers; i++) {
  await boss.work<DeliveryJob>(QUEUE, { batchSize: settings.batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    await Promise.all(jobs.map((job) => post(job.data)));
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      if (req.headers.authorization !== `Bearer ${settings.ingestToken}`) {
        res.writeHead(401).end();
        return;
      }
      const messages = JSON.parse(Buffer.concat(chunks).toString()) as Array<Record<string, string>>;
      const now = new Date().toISOString();
      const jobs: PgBoss.JobInsert<DeliveryJob>[] = [];
      for (const m of messages) {
        const id = randomUUID();
        const body = JSON.stringify({
          id,
          type: 'CONNECTIVITY_STATUS',
          timestamp: now,
          occurredAt: m.sentAt ?? null,
          gatewayId: m.gatewayId,
          data: { connectivityStatus: m.status === 'DISCONNECTED' ? 'OFFLINE' : 'ONLINE' },
        });
        for (const url of settings.endpoints) jobs.push({ name: QUEUE, data: { url, id, body } });
      }
      await boss.insert(jobs);
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: messages.length }));
    } catch (err) {
      res.writeHead(500).end((err as Error).message);
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
