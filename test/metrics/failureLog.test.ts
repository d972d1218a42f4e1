import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { FAILURE_LOG_WINDOW_MS } from '../../src/delivery/logDeliveryFailures.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { captureLog } from '../helpers/logCapture.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

describe('delivery failures in the log', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let lines: Record<string, unknown>[];

  beforeEach(async () => {
    const capture = captureLog();
    lines = capture.lines;
    // Every attempt due at once, and enough of them that nothing goes dead in this test.
    hh = await startTestHearthook({ retrySchedule: Array(20).fill(0), circuitFailureThreshold: 1000 }, { log: capture.log });
    receiver = await new Receiver().start();
    receiver.reply = (req) => (req.url.includes('down') ? { status: 503, body: 'down' } : { status: 500, body: 'boom' });
    dispatcher = new Dispatcher(hh.rt);
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await receiver.stop();
    await hh.close();
  });

  const failures = () => lines.filter((l) => l.msg === 'delivery failed');

  async function emit(gatewayId: string, count: number) {
    const events = Array.from({ length: count }, (_, i) => ({
      type: 'CONNECTIVITY_STATUS' as const,
      gatewayId,
      data: { connectivityStatus: i % 2 ? 'ONLINE' : 'OFFLINE' },
    }));
    await hh.rt.store.transaction((tx) => fanOut(tx, hh.rt.clock.now(), events));
  }

  async function deliverDue() {
    await dispatcher.tick();
    await dispatcher.idle();
  }

  it('logs at warn at most one line per webhook per window, then counts the ones it left out', async () => {
    const first = await seedPartner(hh.rt, { url: receiver.url });
    const second = await seedPartner(hh.rt, { url: `${receiver.url}/down`, gatewayId: first.gatewayId });
    await emit(first.gatewayId, 5);
    await deliverDue(); // 5 failures per webhook
    await deliverDue(); // 5 more each (retried at once)
    expect(receiver.received).toHaveLength(20);

    expect(failures()).toHaveLength(2);
    const byWebhook = new Map(failures().map((l) => [l.webhookId, l]));
    expect(byWebhook.get(first.webhookId)).toMatchObject({ level: 40, statusCode: 500, error: 'HTTP 500', outcome: 'failed', attempt: 1, suppressed: 0 });
    expect(byWebhook.get(second.webhookId)).toMatchObject({ level: 40, statusCode: 503, outcome: 'failed', suppressed: 0 });
    expect(byWebhook.get(first.webhookId)?.deliveryId).toMatch(/^dlv_/); // as the API and the console name it

    hh.clock.advance(FAILURE_LOG_WINDOW_MS - 1); // still the same window
    await deliverDue();
    expect(failures()).toHaveLength(2);

    hh.clock.advance(1); // a new window: one line each, saying how many the last one left out
    await deliverDue();
    expect(failures()).toHaveLength(4);
    const next = failures().slice(2);
    expect(next.map((l) => [l.webhookId, l.suppressed]).sort()).toEqual(
      [
        [first.webhookId, 14],
        [second.webhookId, 14],
      ].sort(),
    );
  });

  it('logs nothing for deliveries that succeed', async () => {
    receiver.reply = () => ({ status: 204 });
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    await emit(partner.gatewayId, 3);
    await deliverDue();
    expect(receiver.received).toHaveLength(3);
    expect(failures()).toEqual([]);
  });

  it('logs deliveries that die at warn, at most one line per webhook per window, apart from failed attempts', async () => {
    await hh.close();
    const capture = captureLog();
    lines = capture.lines;
    hh = await startTestHearthook({ retrySchedule: [0], circuitFailureThreshold: 1000 }, { log: capture.log }); // one attempt, then dead
    dispatcher = new Dispatcher(hh.rt);
    const partner = await seedPartner(hh.rt, { url: receiver.url });
    await emit(partner.gatewayId, 5);
    await deliverDue();
    const dead = () => lines.filter((l) => l.msg === 'delivery is dead');
    expect(dead()).toEqual([expect.objectContaining({ level: 40, webhookId: partner.webhookId, outcome: 'dead', statusCode: 500, suppressed: 0 })]);
    expect(dead()[0].deliveryId).toMatch(/^dlv_/);
    hh.clock.advance(FAILURE_LOG_WINDOW_MS);
    await emit(partner.gatewayId, 1);
    await deliverDue();
    expect(dead().map((l) => l.suppressed)).toEqual([0, 4]);
    expect(failures()).toEqual([]); // none was retried
  });
});
