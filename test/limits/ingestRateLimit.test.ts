import { afterEach, describe, expect, it, vi } from 'vitest';
import { countRows, snapshot } from '../api/fixtures.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway } from '../ingest/fixtures.js';

let hh: TestHearthook;
afterEach(() => hh?.close());

const FLOODER = '700000001';
const QUIET = '700000002';
const heartbeat = (gatewayId: string, messageId?: string) => ({ kind: 'heartbeat', gatewayId, ...(messageId ? { messageId } : {}) });
const send = (payload: unknown) => hh.app.inject({ method: 'POST', url: '/v1/ingest', headers: ingest, payload: payload as object });

describe('the ingest limit per gateway', () => {
  it('answers 429 for the flooding gateway’s items only; the batch stores nothing and the rest passes when resent', async () => {
    hh = await startTestHearthook({ rateLimit: true });
    await addGateway(hh.rt, FLOODER);
    await addGateway(hh.rt, QUIET);
    // A full batch (1,000 messages, the burst) is taken at once...
    const burst = Array.from({ length: 1000 }, (_, i) => heartbeat(FLOODER, `b-${i}`));
    expect((await send(burst)).statusCode).toBe(202);
    // ...then the gateway's bucket is empty: in a batch shared with another gateway, only its items are named.
    const before = await snapshot(hh.rt);
    const ingested = await countIngested();
    const mixed = [heartbeat(QUIET, 'q-1'), heartbeat(FLOODER, 'f-1'), heartbeat(QUIET, 'q-2'), heartbeat(FLOODER, 'f-2')];
    const refused = await send(mixed);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['ratelimit-policy']).toBe('"ingest";q=1000;w=100');
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/1/gatewayId', '/body/3/gatewayId']);
    expect(await snapshot(hh.rt)).toEqual(before);
    expect(await countIngested()).toBe(ingested);
    // The sender drops the refused items and resends the rest at once: it passes.
    expect((await send([mixed[0], mixed[2]])).statusCode).toBe(202);
    // Ten messages a second come back to the flooder: one after 100 ms, two not.
    hh.clock.advance(100);
    expect((await send([heartbeat(FLOODER), heartbeat(FLOODER)])).statusCode).toBe(429);
    expect((await send(heartbeat(FLOODER))).statusCode).toBe(202);
    expect((await send(heartbeat(FLOODER))).statusCode).toBe(429);
    expect((await countRows(hh.rt)).gateways).toBe(2);
  });

  it('refuses a flooding gateway’s batch before its checks and without a transaction; the take stays the authority', async () => {
    hh = await startTestHearthook({ rateLimit: true });
    await addGateway(hh.rt, FLOODER);
    await addGateway(hh.rt, QUIET);
    expect((await send(Array.from({ length: 1000 }, () => heartbeat(FLOODER)))).statusCode).toBe(202);
    const before = await snapshot(hh.rt);
    const takeAll = vi.spyOn(hh.rt.limits, 'takeAll');
    // A flood is answered from a read: 429 for its items, before the bad item beside them is looked at.
    const refused = await send([heartbeat(FLOODER), { kind: 'no-such-kind', gatewayId: QUIET }]);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().errors).toEqual([{ field: '/body/0/gatewayId', message: `gateway ${FLOODER} is over its limit; retry after 1 s` }]);
    expect(refused.json().title).toContain('10 messages/s per gateway (burst 1000)');
    expect(takeAll).not.toHaveBeenCalled();
    // A body the look cannot read (a gatewayId that is no string) goes to the checks: 400 naming it.
    const unreadable = await send([heartbeat(FLOODER), { kind: 'heartbeat', gatewayId: 7 }]);
    expect(unreadable.statusCode).toBe(400);
    expect(unreadable.json().errors.map((e: { field: string }) => e.field)).toContain('/body/1/gatewayId');
    // When the look misses a flood (another request took in between), the take still refuses it.
    vi.spyOn(hh.rt.limits, 'peekAll').mockResolvedValue([]);
    const taken = await send([heartbeat(QUIET), heartbeat(FLOODER)]);
    expect(taken.statusCode).toBe(429);
    expect(taken.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/1/gatewayId']);
    expect(takeAll).toHaveBeenCalledTimes(1);
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it('sustains 10 messages a second per gateway without a 429', async () => {
    hh = await startTestHearthook({ rateLimit: true });
    await addGateway(hh.rt, FLOODER);
    expect((await send(Array.from({ length: 1000 }, () => heartbeat(FLOODER)))).statusCode).toBe(202);
    for (let i = 0; i < 20; i++) {
      hh.clock.advance(1000);
      expect((await send(Array.from({ length: 10 }, () => heartbeat(FLOODER)))).statusCode).toBe(202);
    }
  });
});

async function countIngested(): Promise<number> {
  return Number((await hh.rt.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM ingested_messages'))?.n ?? 0);
}
