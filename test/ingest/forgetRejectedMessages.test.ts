import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeInPublishes } from '../../src/ingest/mqttBatch.js';
import { forgetRejectedMessages } from '../../src/scheduler/jobs/forgetRejectedMessages.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const DAY = 86_400_000;

describe('forgetting rejected MQTT messages', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook({ rejectedRetentionMs: 30 * DAY });
  });
  afterEach(() => hh.close());

  const reject = (text: string, packetId: number) =>
    takeInPublishes(hh.rt, [{ topic: 'hearthook/gateways/101506113/messages', payload: Buffer.from(text), packetId, dup: false }]);
  const listed = async () =>
    (await hh.app.inject({ method: 'GET', url: '/v1/admin/rejected-messages', headers: admin })).json().data.map((r: { payload: string }) => r.payload);

  it('deletes rejected messages older than the retention period and keeps recent ones listed', async () => {
    await reject('{old', 1);
    hh.clock.advance(29 * DAY);
    await reject('{recent', 2);
    expect(await listed()).toEqual(['{recent', '{old']);
    hh.clock.advance(2 * DAY);

    expect(await forgetRejectedMessages(hh.rt)).toBe(1);
    expect(await listed()).toEqual(['{recent']);
    expect(await forgetRejectedMessages(hh.rt)).toBe(0);
  });

  it('deletes more than one statement takes (5,000 rows) in one run', async () => {
    const old = Array.from({ length: 5001 }, (_, i) => ({
      topic: 'hearthook/gateways/101506113/messages',
      payload: Buffer.from(`not json ${i}`),
      packetId: (i % 65_535) + 1,
      dup: false,
    }));
    await takeInPublishes(hh.rt, old);
    hh.clock.advance(31 * DAY);
    await reject('{recent', 1);
    expect(await forgetRejectedMessages(hh.rt)).toBe(5001);
    expect(await listed()).toEqual(['{recent']);
  });
});
