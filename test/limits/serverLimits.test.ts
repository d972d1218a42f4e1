import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { waitFor } from '../scaleout/cluster.js';

let hh: TestHearthook;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await hh?.close();
});

/** A raw connection that records what it received and whether the server closed it. */
async function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  await new Promise((ok) => socket.once('connect', ok));
  return { socket, received: () => data, closed: () => closed };
}

async function listen(overrides: Parameters<typeof startTestHearthook>[0]): Promise<number> {
  hh = await startTestHearthook(overrides);
  await hh.app.listen({ port: 0, host: '127.0.0.1' });
  return (hh.app.server.address() as { port: number }).port;
}

describe('HTTP server limits', () => {
  it('cuts off a slow-loris client that trickles its headers, with 408, and keeps serving others', async () => {
    const port = await listen({ headersTimeoutMs: 1000 });
    const loris = await rawSocket(port);
    loris.socket.write('GET /health HTTP/1.1\r\nHost: hearthook\r\n');
    let lines = 0;
    const trickle = setInterval(() => {
      if (!loris.closed()) loris.socket.write(`X-Trickle-${lines++}: still here\r\n`);
    }, 100);
    try {
      // 1 s of headers timeout, plus Node's check each second: gone well within 10 s of trickling.
      await waitFor(() => loris.closed(), 10_000, 'the slow-loris connection closed by the server');
    } finally {
      clearInterval(trickle);
    }
    expect(loris.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(lines).toBeGreaterThanOrEqual(5); // it was still sending when it was cut off
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const port = await listen({ keepAliveTimeoutMs: 300 });
    const client = await rawSocket(port);
    client.socket.write('GET /health HTTP/1.1\r\nHost: hearthook\r\nConnection: keep-alive\r\n\r\n');
    await waitFor(() => client.received().includes('"status":"ok"'), 10_000, 'the health answer');
    expect(client.received()).toMatch(/keep-alive: timeout=0?/i);
    await waitFor(() => client.closed(), 10_000, 'the idle connection closed');
  });

  it('holds at most HEARTHOOK_MAX_CONNECTIONS connections: one more is closed at once', async () => {
    const port = await listen({ maxConnections: 2 });
    const held = [await rawSocket(port), await rawSocket(port)];
    await waitFor(
      () => new Promise<boolean>((ok) => hh.app.server.getConnections((_, n) => ok(n === 2))),
      10_000,
      'two connections held',
    );
    const extra = await rawSocket(port);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: hearthook\r\n\r\n');
    await waitFor(() => extra.closed(), 10_000, 'the third connection closed');
    expect(extra.received()).toBe('');
    expect(held.map((c) => c.closed())).toEqual([false, false]);
  });
});
