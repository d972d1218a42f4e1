import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpError } from './httpError.js';

/** What an SSE response is sent with: never cached, never buffered by a proxy (nginx reads x-accel-buffering). */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** One Server-Sent Events message: `id:`, `event:` and `data:` (JSON) lines, the ones given. */
export function sseMessage(message: { id?: string; event?: string; data?: unknown }): string {
  const id = message.id === undefined ? '' : `id: ${message.id}\n`;
  const event = message.event === undefined ? '' : `event: ${message.event}\n`;
  const data = message.data === undefined ? '' : `data: ${JSON.stringify(message.data)}\n`;
  return `${id}${event}${data}\n`;
}

/** One open event stream: written to until it ends (the client left, or the server closes). */
export class EventStream {
  private readonly onEnds: Array<() => void> = [];
  ended = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly forget: (stream: EventStream) => void,
  ) {}

  write(text: string): void {
    if (!this.ended) this.raw.write(text);
  }

  /** Runs `fn` once when the stream ends, however it ends (at once if it has ended already). */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.onEnds.push(fn);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.forget(this);
    for (const fn of this.onEnds) fn();
    this.raw.end();
  }
}

/**
 * The event streams of one kind open in this process (the partner API's event stream, the
 * console's live views): at most `max` at once, each ended when its client leaves, all ended
 * when the server closes.
 *
 * @example
 * const streams = new EventStreams(1_000, () => new HttpError(503, 'too many streams'));
 * const stream = streams.open(request, reply, 'retry: 2000\n\n');
 * stream.write(sseMessage({ event: 'tick', data: { n: 1 } }));
 */
export class EventStreams {
  private readonly open = new Set<EventStream>();

  constructor(
    private readonly max: number,
    private readonly refusal: () => HttpError,
  ) {}

  /** Takes over the response as an event stream starting with `preamble`; throws `refusal()` when `max` are open. */
  start(request: FastifyRequest, reply: FastifyReply, preamble: string): EventStream {
    if (this.open.size >= this.max) throw this.refusal();
    reply.hijack();
    reply.raw.writeHead(200, SSE_HEADERS);
    reply.raw.write(preamble);
    const stream = new EventStream(reply.raw, (s) => this.open.delete(s));
    this.open.add(stream);
    request.raw.on('close', () => stream.end());
    // A client that left while the request was being checked (the session read from the
    // database, say) closed before the listener above: its stream would stay open, and count, for ever.
    if (request.raw.destroyed || !reply.raw.socket || reply.raw.socket.destroyed) stream.end();
    return stream;
  }

  /** Ends every open stream (the server is closing). */
  closeAll(): void {
    for (const stream of [...this.open]) stream.end();
  }
}
