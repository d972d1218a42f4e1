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
 * Open SSE streams per console session at most: a person with a few tabs open, not one session
 * (or a script holding its cookie) taking the whole process's `MAX_STREAMS`.
 */
export const MAX_STREAMS_PER_SESSION = 10;

/**
 * Server-Sent Events for the console's live parts. A stream polls the database every tick
 * rather than listening to this process's dispatcher: deliveries are made by whichever node
 * claimed them, and the database is what every node shares. Each tick also re-reads the session,
 * so signing out on any node ends the stream.
 */
export class LiveStreams {
  private readonly streams = new EventStreams(MAX_STREAMS, () => new HttpError(503, 'too many live views are open; reload later'));
  /** Open streams per session (its token's hash); a session leaves the map with its last stream. */
  private readonly perSession = new Map<string, number>();

  /**
   * Answers `request` with an event stream: `tick` runs now and then every `everyMs` after the
   * previous one finished, and its events are sent; the stream ends when the client leaves,
   * the session ends, or the server closes. A session with `MAX_STREAMS_PER_SESSION` open is
   * refused (429) until it closes one.
   */
  open(rt: Runtime, request: FastifyRequest, reply: FastifyReply, everyMs: number, tick: () => Promise<LiveEvent[]>): void {
    const session = request.consoleSession.tokenHash;
    const open = this.perSession.get(session) ?? 0;
    if (open >= MAX_STREAMS_PER_SESSION) {
      throw new HttpError(429, `this session has ${open} live views open, the most it may; close a tab and reload`);
    }
    const stream = this.streams.start(request, reply, 'retry: 3000\n\n');
    this.perSession.set(session, open + 1);
    let timer: NodeJS.Timeout | undefined;
    stream.onEnd(() => {
      clearTimeout(timer);
      const left = (this.perSession.get(session) ?? 1) - 1;
      if (left > 0) this.perSession.set(session, left);
      else this.perSession.delete(session);
    });
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
