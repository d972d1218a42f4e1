import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { flipConnection, processPartner } from '../helpers/processFixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { until } from '../helpers/until.js';

describe('a webhook disabled and enabled again (hearthook serve on a SQLite file)', () => {
  let dir: string;
  let receiver: Receiver;
  let server: HearthookProcess | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-gaps-'));
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await server?.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows its receiver the jump over the events it missed, which GET /v1/events still lists', async () => {
    server = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: join(dir, 'hearthook.db') }).start();
    const p = await processPartner(server!.url, receiver.url, '300000010');
    const sequences = () => receiver.received.map((r) => Number(r.headers['webhook-sequence']));
    await flipConnection(server!.url, p.gatewayId, 2, 0);
    await until(() => receiver.received.length === 2, 'the first two deliveries');

    await call(server!.url, 'PATCH', `/v1/webhooks/${p.webhookId}`, p.headers, { enabled: false });
    await flipConnection(server!.url, p.gatewayId, 3, 2); // missed: no deliveries
    await call(server!.url, 'PATCH', `/v1/webhooks/${p.webhookId}`, p.headers, { enabled: true });
    await flipConnection(server!.url, p.gatewayId, 1, 5);
    await until(() => receiver.received.length === 3, 'the delivery after enabling');

    expect(sequences()).toEqual([1, 2, 6]); // 3, 4 and 5 were missed, and the receiver can tell
    const missed = await call<{ data: Array<{ id: string }> }>(server!.url, 'GET', `/v1/events?gatewayId=${p.gatewayId}&type=CONNECTIVITY_STATUS`, p.headers);
    const delivered = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(missed.data).toHaveLength(6);
    expect(missed.data.filter((e) => !delivered.has(e.id))).toHaveLength(3);
  }, 120_000);
});
