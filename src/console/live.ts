import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventStreams, sseMessage } from '../api/eventStreams.js';
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
  private readonly streams = new EventStreams(MAX_STREAMS, () => new HttpError(503, 'too many live views are open; reload later'));

  /**
   * Answers `request` with an event stream: `tick` runs now and then every `everyMs` after the
   * previous one finished, and its events are sent; the stream ends when the client leaves,
   * the session ends, or the server closes.
   */
  open(rt: Runtime, request: FastifyRequest, reply: FastifyReply, everyMs: number, tick: () => Promise<LiveEvent[]>): void {
    const stream = this.streams.start(request, reply, 'retry: 3000\n\n');
    let timer: NodeJS.Timeout | undefined;
    stream.onEnd(() => clearTimeout(timer));
    const run = async () => {
      try {
        if (!(await loadSession(rt, request))) {
          stream.write(sseMessage({ event: 'signed-out', data: {} }));
          return stream.end();
        }
        const events = await tick();
        if (stream.ended) return;
        // A comment line keeps proxies from timing the stream out while nothing changes.
        stream.write(events.length === 0 ? ': idle\n\n' : events.map((e) => sseMessage(e)).join(''));
        timer = setTimeout(run, everyMs);
      } catch (err) {
        rt.log.warn({ err }, 'console live stream failed');
        stream.end();
      }
    };
    void run();
  }

  /** Ends every open stream (the server is closing). */
  closeAll(): void {
    this.streams.closeAll();
  }
}
