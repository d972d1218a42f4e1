import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_SESSION } from '../../src/console/live.js';
import { ADMIN_TOKEN, admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';
import { ConsoleSession } from './consoleSession.js';

/**
 * What open live views cost the process: the fleet counters are computed once per tick for all
 * open fleet pages, the queue's count is the one `/metrics` reuses, and one session cannot take
 * every stream the process allows.
 */
describe('the cost of live views', () => {
  let hh: TestHearthook;
  let base: string;
  const open: AbortController[] = [];
  /** SQL statements run by the store's `get`, in order. */
  const statements: string[] = [];

  beforeEach(async () => {
    hh = await startTestHearthook();
    const get = hh.rt.store.get.bind(hh.rt.store);
    hh.rt.store.get = ((sql: string, params?: readonly unknown[]) => {
      statements.push(sql);
      return get(sql, params);
    }) as typeof hh.rt.store.get;
    base = await hh.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const a of open.splice(0)) a.abort();
    statements.length = 0;
    await hh.close();
  });

  const operator = async () => {
    const session = new ConsoleSession(hh.app);
    expect((await session.signIn(ADMIN_TOKEN)).statusCode).toBe(303);
    return [...session.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  };
  /** Opens the fleet's live stream; resolves with its status and, for a 200, the text up to its first `counters` event. */
  const stream = async (cookie: string) => {
    const abort = new AbortController();
    open.push(abort);
    const res = await fetch(`${base}/console/operator/live`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
    if (res.status !== 200) return { status: res.status, body: await res.text(), abort };
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let body = '';
    while (!body.includes('event: counters')) body += decoder.decode((await reader.read()).value, { stream: true });
    return { status: 200, body, abort };
  };
  const counted = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length;
  const queueCount = /COUNT\(\*\) AS \w+ FROM deliveries WHERE next_attempt_at IS NOT NULL/;

  it('computes the fleet counters once for several open fleet pages', async () => {
    const cookies = await Promise.all([operator(), operator(), operator()]);
    statements.length = 0;
    const streams = await Promise.all([...cookies, ...cookies].map((c) => stream(c)));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // One computation (two if the six first ticks straddled a tick's end on a slow machine), not six.
    expect(counted(/FROM gateway_state/)).toBeLessThanOrEqual(2);
  });

  it('reuses the count of the queue that /metrics made', async () => {
    const cookie = await operator();
    expect((await hh.app.inject({ method: 'GET', url: '/metrics', headers: admin })).statusCode).toBe(200);
    expect(counted(queueCount)).toBe(1);
    const page = await fetch(`${base}/console/operator`, { headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/data-counter="queueDepth">0</);
    expect(counted(queueCount)).toBe(1);
  });

  it('refuses a session more live views than its share with a 429 that says why, and not other sessions', async () => {
    const [mine, other] = [await operator(), await operator()];
    const streams = [];
    for (let i = 0; i < MAX_STREAMS_PER_SESSION; i++) streams.push(await stream(mine));
    expect(streams.every((s) => s.status === 200)).toBe(true);

    const refused = await stream(mine);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).title).toContain(`this session has ${MAX_STREAMS_PER_SESSION} live views open`);
    expect((await stream(other)).status).toBe(200);

    // A closed tab gives its place back.
    streams[0].abort.abort();
    await until(async () => {
      const again = await stream(mine);
      if (again.status !== 200) again.abort.abort();
      return again.status === 200;
    }, 'a place after a stream closed', 10_000);
  });
});
