import { randomBytes } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import { AddressPolicy } from '../delivery/addressPolicy.js';
import { buildRequest } from '../delivery/buildRequest.js';
import { EndpointClient, type PostResult } from '../delivery/endpointClient.js';
import type { Target } from '../delivery/loadDeliveryTargets.js';
import { secretKey } from '../delivery/signPayload.js';
import { EVENT_TYPES, type EventType } from '../domain/eventTypes.js';
import type { StoredEvent } from '../versions/renderEvent.js';
import { currentMajor } from '../versions/registry.js';
import { badFlagsExitWithUsage, FAILED } from './exit.js';
import { apiMajor, eventTypes, partnerApiUrl, partnerConnectionFlags } from './partnerFlags.js';
import { httpUrl } from './urlFlags.js';

/** The local endpoint is the developer's own: any address may be forwarded to. */
const ANY_ADDRESS = ['0.0.0.0/0', '::/0'];
/** A local answer slower than this is printed as a timeout (the server's default delivery timeout). */
const FORWARD_TIMEOUT_MS = 15_000;
/**
 * Nothing read for this long means a dead connection: the stream sends a comment every 15 s, so
 * three missed keep-alives. Catches a connection cut without a reset (a laptop's Wi-Fi, a NAT).
 */
const IDLE_LIMIT_MS = 45_000;
/** Reconnect waits from this, doubling to the cap, while Hearthook is away. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface ListenOptions {
  target: URL;
  forwardTo: URL;
  apiKey: string;
  secret: string;
  events?: readonly EventType[];
  major: number;
  /** Where to start: a catch-up cursor, or `now` for new events only. */
  after: string;
  forwardApiKey?: string;
  forwardApiKeyName: string;
}

/** Why listening cannot go on (a refused key, a target that is no Hearthook): printed, exit 1. */
class ListenError extends Error {}

/** One SSE message of `GET /v1/events/stream`. */
interface StreamMessage {
  id?: string;
  data?: string;
}

/** The major 2 envelope the stream sends (without `sequence`: that belongs to a webhook). */
interface Envelope {
  id: string;
  type: EventType;
  timestamp: string;
  occurredAt: string | null;
  gatewayId: string;
  data: Record<string, unknown>;
}

/**
 * Adds `hearthook listen` (like `stripe listen`): streams the company's events from a Hearthook
 * (`GET /v1/events/stream`) and POSTs each to a local URL, rendered and signed exactly as a
 * webhook delivery is (the dispatcher's own `buildRequest` and HTTP client), with a local
 * `whsec_` secret it prints. A dropped stream is resumed from the last forwarded event's cursor
 * (`Last-Event-ID`), so nothing is skipped or sent twice. Bad flags exit 2; an unreachable
 * Hearthook at start, a refused key or a target that is no Hearthook exit 1.
 *
 * @example
 * hearthook listen --forward-to http://localhost:3000/hooks --target https://hearthook.example --api-key $KEY
 * # Ready: forwarding new events from https://hearthook.example to http://localhost:3000/hooks in API major 2
 * # 10:20:01.311  DATA_POINT           evt_…  gateway 101506113  seq 1  → 200  12 ms
 */
export function listenCommand(program: Command): void {
  partnerConnectionFlags(badFlagsExitWithUsage(program.command('listen')))
    .description("forward your company's events to a local URL as signed webhook deliveries (no public URL needed)")
    .requiredOption('--forward-to <url>', 'local URL to POST each event to, e.g. http://localhost:3000/hooks', httpUrl)
    .option('--secret <whsec>', 'sign with this whsec_ secret (default: a new one, printed)', whsecSecret)
    .option('--events <types>', `comma-separated event types to forward (default: all): ${EVENT_TYPES.join(', ')}`, eventTypes)
    .option('--api-version <major>', 'render events in this API major (default: the current one)', apiMajor)
    .option('--after <cursor>', 'start after this cursor (an `id:` of the stream or a nextCursor of GET /v1/events) instead of now')
    .option('--forward-api-key <key>', 'send this API key to the local URL, as a webhook registered with one would')
    .option('--forward-api-key-name <name>', 'header the --forward-api-key goes in', 'x-api-key')
    .action(async (opts) => {
      const secret: string = opts.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
      const options: ListenOptions = {
        target: opts.target,
        forwardTo: opts.forwardTo,
        apiKey: opts.apiKey,
        secret,
        events: opts.events,
        major: opts.apiVersion ?? currentMajor(Date.now()),
        after: opts.after ?? 'now',
        forwardApiKey: opts.forwardApiKey,
        forwardApiKeyName: opts.forwardApiKeyName,
      };
      const stop = new AbortController();
      const onInterrupt = () => stop.abort();
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      process.stdout.write(opts.secret ? 'Signing with the given secret.\n' : `Signing secret: ${secret}\n`);
      try {
        await listen(options, stop.signal, (line) => process.stdout.write(`${line}\n`));
      } catch (err) {
        if (!(err instanceof ListenError)) throw err;
        process.stderr.write(`hearthook listen: ${err.message}\n`);
        process.exitCode = FAILED;
      } finally {
        process.off('SIGINT', onInterrupt);
        process.off('SIGTERM', onInterrupt);
      }
    });
}

/** Streams and forwards until `signal` aborts; throws a ListenError when it cannot go on. */
export async function listen(options: ListenOptions, signal: AbortSignal, print: (line: string) => void): Promise<void> {
  const client = new EndpointClient(new AddressPolicy(ANY_ADDRESS), FORWARD_TIMEOUT_MS, 4);
  const target: Target = {
    id: 'listen',
    url: options.forwardTo,
    apiKeyName: options.forwardApiKeyName,
    apiKeyLocation: 'HEADER',
    apiKey: options.forwardApiKey ?? '',
    signingKeys: [secretKey(options.secret)],
    apiVersion: options.major,
    languages: [],
    updatedAt: 0,
  };
  // Per gateway, gap-free from 1 like a webhook's: this session is the receiver's "webhook".
  const sequences = new Map<string, number>();
  let cursor = options.after;
  let connected = false;
  let wait = RECONNECT_FIRST_MS;
  try {
    while (!signal.aborted) {
      let reason: string;
      try {
        const stream = await openStream(options, cursor, signal);
        if (!connected) {
          const from = cursor === 'now' ? 'new events' : 'events';
          print(`Ready: forwarding ${from} from ${options.target.origin} to ${options.forwardTo.href} in API major ${options.major} (Ctrl-C to stop)`);
        } else print('Reconnected; resuming after the last forwarded event.');
        connected = true;
        wait = RECONNECT_FIRST_MS;
        for await (const message of stream) {
          if (message.data !== undefined) {
            const event = JSON.parse(message.data) as Envelope;
            if (!options.events || options.events.includes(event.type)) print(await forward(client, target, event, sequences, options.major));
          }
          // Only now, after forwarding: a drop before this point resends this event, not skips it.
          if (message.id !== undefined) cursor = message.id;
        }
        reason = 'the stream ended';
      } catch (err) {
        if (err instanceof ListenError || signal.aborted) throw err;
        if (!connected) throw new ListenError(`cannot reach Hearthook at ${options.target.origin}: ${describe(err)}`);
        reason = describe(err);
      }
      if (signal.aborted) break;
      print(`Connection lost (${reason}); reconnecting in ${(wait / 1000).toFixed(1)} s…`);
      await sleep(wait, signal);
      wait = Math.min(wait * 2, RECONNECT_MAX_MS);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    await client.close();
  }
}

/**
 * POSTs one event to the local URL as its delivery would be built, and the line to print: local
 * time, type, id, gateway, sequence, then the local answer and how long it took.
 */
async function forward(client: EndpointClient, target: Target, event: Envelope, sequences: Map<string, number>, major: number): Promise<string> {
  const sequence = (sequences.get(event.gatewayId) ?? 0) + 1;
  sequences.set(event.gatewayId, sequence);
  const descriptions = event.data.descriptions;
  const stored: StoredEvent = {
    id: event.id,
    type: event.type,
    gatewayId: event.gatewayId,
    dataJson: JSON.stringify(event.data),
    occurredAt: event.occurredAt === null ? null : Date.parse(event.occurredAt),
    createdAt: Date.parse(event.timestamp),
  };
  // The stream already picked the company's languages: render them all again, in their order.
  const languages = descriptions && typeof descriptions === 'object' ? Object.keys(descriptions) : [];
  const { url, headers, body } = buildRequest(stored, { ...target, languages }, sequence, major, Date.now());
  const result = await client.post(url, headers, body);
  const time = new Date().toISOString().slice(11, 23);
  return `${time}  ${event.type.padEnd(19)}  ${event.id}  gateway ${event.gatewayId}  seq ${sequence}  → ${answer(result)}  ${result.durationMs} ms`;
}

function answer(result: PostResult): string {
  return result.statusCode === null ? `failed: ${result.error}` : String(result.statusCode);
}

/** Opens the event stream after `cursor`; a refusal that retrying cannot fix is a ListenError. */
async function openStream(options: ListenOptions, cursor: string, signal: AbortSignal): Promise<AsyncIterable<StreamMessage>> {
  const url = partnerApiUrl(options.target, 'events/stream');
  const headers: Record<string, string> = { 'x-api-key': options.apiKey, accept: 'text/event-stream' };
  if (cursor === 'now') url.searchParams.set('after', 'now');
  else headers['last-event-id'] = cursor;
  const abort = new AbortController();
  const onStop = () => abort.abort();
  signal.addEventListener('abort', onStop, { once: true });
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status === 401) throw new ListenError('the API key was refused (401): check --api-key, or mint a new one with POST /v1/api-keys');
  if (res.status >= 400 && res.status < 500) {
    const detail = await res.text().catch(() => '');
    throw new ListenError(`${url.href} answered ${res.status}${res.status === 404 ? ' (is --target a Hearthook?)' : ''}: ${detail.slice(0, 300)}`);
  }
  if (res.status !== 200 || !res.body) throw new Error(`the stream answered ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new ListenError(`${url.href} is not an event stream (is --target a Hearthook?)`);
  return readMessages(res.body as unknown as AsyncIterable<Uint8Array>, abort, () => signal.removeEventListener('abort', onStop));
}

/**
 * The SSE messages of a response body (https://html.spec.whatwg.org/#event-stream-interpretation,
 * the fields this stream uses). Reading stops with an error when nothing came for IDLE_LIMIT_MS.
 */
async function* readMessages(body: AsyncIterable<Uint8Array>, abort: AbortController, done: () => void): AsyncGenerator<StreamMessage> {
  const decoder = new TextDecoder();
  let idle = false;
  let timer = setTimeout(onIdle, IDLE_LIMIT_MS);
  function onIdle() {
    idle = true;
    abort.abort();
  }
  let buffer = '';
  let message: StreamMessage = {};
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.search(/\r?\n/);
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === '\r' ? end + 2 : end + 1);
        if (line === '') {
          if (message.id !== undefined || message.data !== undefined) yield message;
          message = {};
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') message.id = value;
          else if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
        }
        end = buffer.search(/\r?\n/);
      }
      timer = setTimeout(onIdle, IDLE_LIMIT_MS);
    }
  } catch (err) {
    if (idle) throw new Error(`nothing received for ${IDLE_LIMIT_MS / 1000} s`);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
    done();
  }
}

/** The error's cause in a few words: fetch wraps ECONNREFUSED and friends in "fetch failed". */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.cause?.code) return `${e.cause.code}${e.cause.message ? ` (${e.cause.message})` : ''}`;
  return e.message ?? String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function whsecSecret(text: string): string {
  if (!/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(text)) throw new InvalidArgumentError('must be a whsec_ secret (whsec_ and base64 of at least 12 bytes)');
  return text;
}
