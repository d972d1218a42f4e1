/**
 * GET /v1/events/stream sends what GET /v1/events lists, then new events as they are committed;
 * a client that drops the connection and comes back with Last-Event-ID gets the rest exactly:
 * nothing skipped, nothing twice. Another company's events never appear.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createGateway, createPartner, expectCall, type Partner, pairActive } from '../api/fixtures.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { waitFor } from '../scaleout/cluster.js';

interface Message {
  id: string;
  event: string;
  data: { id: string; type: string; gatewayId: string };
}

let hh: TestHearthook;
let base: string;
let partner: Partner;
let other: Partner;
let mine: string;
let theirs: string;

beforeEach(async () => {
  hh = await startTestHearthook();
  base = await hh.app.listen({ port: 0, host: '127.0.0.1' });
  partner = await createPartner(hh.app, { autoAccept: true });
  other = await createPartner(hh.app, { autoAccept: true });
  mine = (await createGateway(hh.app)).gatewayId;
  theirs = (await createGateway(hh.app)).gatewayId;
  await pairActive(hh.app, mine, partner);
  await pairActive(hh.app, theirs, other);
});
afterEach(() => hh.close());

const say = (gatewayId: string, power: number) =>
  expectCall(hh.app, 'POST', '/v1/ingest', ingest, [{ kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.powerCurrent', value: power, unit: 'W' }], 202);

/** Reads SSE messages from the stream into `into` until aborted. */
async function stream(headers: Record<string, string>, into: Message[], signal: AbortSignal, query = ''): Promise<void> {
  const res = await fetch(`${base}/v1/events/stream${query}`, { headers, signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields.data) into.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

async function catchUpIds(who: Partner): Promise<string[]> {
  const res = await hh.app.inject({ method: 'GET', url: '/v1/events?limit=1000', headers: who.headers });
  return (res.json().data as Array<{ id: string }>).map((e) => e.id);
}

it('streams the backlog then live events, and resumes after a drop from Last-Event-ID with nothing lost or repeated', async () => {
  for (let i = 0; i < 5; i++) await say(mine, 1000 + i * 500);
  await say(theirs, 1000);

  const first: Message[] = [];
  const firstAbort = new AbortController();
  const firstRun = stream(partner.headers, first, firstAbort.signal);
  await waitFor(() => first.length >= 3, 20_000, 'the backlog');
  await say(mine, 9000); // live, while connected
  await waitFor(async () => first.length === (await catchUpIds(partner)).length, 20_000, 'the live event');
  firstAbort.abort();
  await firstRun;

  // While disconnected, more happens.
  for (let i = 0; i < 4; i++) await say(mine, 20_000 + i * 5000);
  const second: Message[] = [];
  const secondAbort = new AbortController();
  const secondRun = stream({ ...partner.headers, 'last-event-id': first.at(-1)!.id }, second, secondAbort.signal);
  await say(mine, 60_000);
  const expected = await catchUpIds(partner);
  await waitFor(() => first.length + second.length >= expected.length, 20_000, 'the rest after resuming');
  secondAbort.abort();
  await secondRun;

  const received = [...first, ...second].map((m) => m.data.id);
  expect(received).toEqual(expected);
  expect(new Set(received).size).toBe(received.length);
  expect([...first, ...second].every((m) => m.data.gatewayId === mine || m.event === 'CONTRACT_STATUS')).toBe(true);
  expect([...first, ...second].every((m) => m.event === m.data.type)).toBe(true);
});

it('refuses a Last-Event-ID it never gave out with a 400 naming the header', async () => {
  const res = await hh.app.inject({ method: 'GET', url: '/v1/events/stream', headers: { ...partner.headers, 'last-event-id': 'nope' } });
  expect(res.statusCode).toBe(400);
  expect(res.json().errors).toEqual([{ field: '/headers/last-event-id', message: 'is not a cursor this API gave out' }]);
});

it('with after=now sends only events committed from then on, after an id-only first message a client can resume from', async () => {
  await say(mine, 1000); // before: not sent
  const res = await fetch(`${base}/v1/events/stream?after=now`, { headers: partner.headers });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!/\nid: \S+\n\n/.test(text)) text += decoder.decode((await reader.read()).value, { stream: true });
  const first = /\nid: (\S+)\n\n/.exec(text)![1];
  expect(text).not.toContain('data:');
  await reader.cancel();

  await say(mine, 5000);
  await say(mine, 9000);
  const resumed: Message[] = [];
  const abort = new AbortController();
  const run = stream({ ...partner.headers, 'last-event-id': first }, resumed, abort.signal);
  const all = await catchUpIds(partner);
  await waitFor(() => resumed.length >= 2, 20_000, 'the two events after now');
  abort.abort();
  await run;
  expect(resumed.map((m) => m.data.id)).toEqual(all.slice(-2));
});

it('with after=now on a company without events yet resumes from its first event', async () => {
  const fresh = await createPartner(hh.app, { autoAccept: true });
  const res = await fetch(`${base}/v1/events/stream?after=now`, { headers: fresh.headers });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!/\nid: \S+\n\n/.test(text)) text += decoder.decode((await reader.read()).value, { stream: true });
  await reader.cancel();
  const first = /\nid: (\S+)\n\n/.exec(text)![1];
  const gateway = (await createGateway(hh.app)).gatewayId;
  await pairActive(hh.app, gateway, fresh);
  const page = await hh.app.inject({ method: 'GET', url: `/v1/events?after=${first}`, headers: fresh.headers });
  expect(page.statusCode).toBe(200);
  expect(page.json().data.map((e: { type: string }) => e.type)).toContain('CONTRACT_STATUS');
});

it('sends a keep-alive comment after 15 s without an event, timed by the clock, and none while events flow', async () => {
  const res = await fetch(`${base}/v1/events/stream?after=now`, { headers: partner.headers });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let reading = true;
  const pump = (async () => {
    while (reading) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  })();
  try {
    await waitFor(() => /\nid: \S+\n\n/.test(text), 20_000, 'the first message');
    // Events reset the wait: 14 s, events, 14 s more, another event: no keep-alive yet.
    hh.clock.advance(14_000);
    await say(mine, 3000);
    await waitFor(() => text.includes('"value":3000'), 20_000, 'the first data point');
    hh.clock.advance(14_000);
    await say(mine, 8000);
    await waitFor(() => text.includes('"value":8000'), 20_000, 'the second data point');
    expect(text).not.toContain(': keep-alive');
    // 15 s of silence by the clock: the next poll (within a second of real time) writes one.
    hh.clock.advance(15_000);
    await waitFor(() => text.includes(': keep-alive\n\n'), 5_000, 'the keep-alive comment'); // well before 15 s of real time
    expect(text.indexOf(': keep-alive')).toBeGreaterThan(text.lastIndexOf('\ndata: '));
  } finally {
    reading = false;
    await reader.cancel();
    await pump.catch(() => undefined);
  }
});
