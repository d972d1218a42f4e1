import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { loadSession } from './session.js';

export interface LiveEvent {
  event: string;
  data: unknown;
}

/** Open SSE streams per process at most: each polls the database once a tick. */
const MAX_STREAMS = 500;

/**
 * Server-Sent Events for the console's live parts. A stream polls the database every tick
 * rather than listening to this process's dispatcher: deliveries are made by whichever node
 * claimed them, and the database is what every node shares. Each tick also re-reads the session,
 * so signing out on any node ends the stream.
 */
export class LiveStreams {
  private readonly stops = new Set<() => void>();

  /**
   * Answers `request` with an event stream: `tick` runs now and then every `everyMs` after the
   * previous one finished, and its events are sent; the stream ends when the client leaves,
   * the session ends, or the server closes.
   */
  open(rt: Runtime, request: FastifyRequest, reply: FastifyReply, everyMs: number, tick: () => Promise<LiveEvent[]>): void {
    if (this.stops.size >= MAX_STREAMS) throw new HttpError(503, 'too many live views are open; reload later');
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 3000\n\n');
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      this.stops.delete(stop);
      raw.end();
    };
    this.stops.add(stop);
    request.raw.on('close', stop);
    const run = async () => {
      try {
        if (!(await loadSession(rt, request))) {
          raw.write('event: signed-out\ndata: {}\n\n');
          return stop();
        }
        const events = await tick();
        if (stopped) return;
        // A comment line keeps proxies from timing the stream out while nothing changes.
        raw.write(events.length === 0 ? ': idle\n\n' : events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join(''));
        timer = setTimeout(run, everyMs);
      } catch (err) {
        rt.log.warn({ err }, 'console live stream failed');
        stop();
      }
    };
    void run();
  }

  /** Ends every open stream (the server is closing). */
  closeAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}
