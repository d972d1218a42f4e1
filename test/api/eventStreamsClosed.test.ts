import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { EventStreams } from '../../src/api/eventStreams.js';
import { HttpError } from '../../src/api/httpError.js';

/** A request whose client has already gone (its socket closed while the request was checked). */
function goneClient() {
  const raw = Object.assign(new EventEmitter(), { destroyed: true });
  const written: string[] = [];
  const response = { socket: null, writeHead: () => {}, write: (t: string) => written.push(t), end: () => written.push('<end>') };
  return { request: { raw } as unknown as FastifyRequest, reply: { hijack: () => {}, raw: response } as unknown as FastifyReply, written };
}

describe('an event stream whose client left before it started', () => {
  it('ends at once, gives its place back, and still runs what waits for its end', () => {
    const streams = new EventStreams(1, () => new HttpError(503, 'full'));
    const { request, reply, written } = goneClient();
    const stream = streams.start(request, reply, 'retry: 1000\n\n');
    expect(stream.ended).toBe(true);
    expect(written.at(-1)).toBe('<end>');
    let ended = 0;
    stream.onEnd(() => ended++);
    expect(ended).toBe(1);
    // Its place (the only one) is free for the next client.
    const next = goneClient();
    expect(() => streams.start(next.request, next.reply, '')).not.toThrow();
  });
});
