/**
 * Standard Webhooks verification (https://www.standardwebhooks.com) on Web Crypto only, so it
 * runs in Node 20+, Deno, Bun, Cloudflare Workers and browsers alike. Checked against the
 * official `standardwebhooks` package on the same inputs (test/receiver/verify.test.ts).
 */

/** The one error `verify` throws: the request is not a genuine, fresh Hearthook delivery. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/** Request headers as Node (`IncomingHttpHeaders`), Fetch (`Headers`) or a plain object give them. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s, as Standard Webhooks says). */
  toleranceSeconds?: number;
  /** Now, in milliseconds since the epoch (default `Date.now()`); for tests. */
  now?: number;
}

/** What a verified delivery says about itself. */
export interface VerifiedDelivery {
  /** `webhook-id`: the event id, the same in every retry: de-duplicate on it. */
  id: string;
  /** `webhook-timestamp`, in seconds since the epoch. */
  timestamp: number;
}

const PREFIX = 'whsec_';
const encoder = new TextEncoder();

/** A header's value whatever the headers' shape; repeated headers are joined as Node joins them. */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Checks that `rawBody` was signed by Hearthook with one of `secrets` (several during a secret
 * rotation: the old and the new `whsec_` secret both work) and that its timestamp is within the
 * tolerance. Resolves with the delivery's id and timestamp; rejects with a
 * `WebhookVerificationError` otherwise. Pass the body exactly as received (bytes or the string
 * before any JSON parsing): re-serialised JSON does not verify.
 *
 * @example
 * import { verify } from 'hearthook/receiver';
 * const { id } = await verify(rawBody, request.headers, [process.env.WHSEC_NEW, process.env.WHSEC_OLD]);
 */
export async function verify(
  rawBody: string | Uint8Array,
  headers: HeadersLike,
  secrets: string | readonly string[],
  options: VerifyOptions = {},
): Promise<VerifiedDelivery> {
  const id = headerValue(headers, 'webhook-id');
  const signatures = headerValue(headers, 'webhook-signature');
  const timestampText = headerValue(headers, 'webhook-timestamp');
  if (!id || !signatures || !timestampText) throw new WebhookVerificationError('Missing required headers');
  const timestamp = checkTimestamp(timestampText, options);

  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), body);
  const offered = signatures
    .split(' ')
    .map((s) => s.split(','))
    .filter(([version]) => version === 'v1')
    .map(([, signature]) => signature ?? '');
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = await hmacBase64(secretKey(secret), signed);
    // Every offered signature is compared in full: the time taken says nothing about which matched.
    if (offered.map((s) => constantTimeEqual(s, expected)).includes(true)) return { id, timestamp };
  }
  throw new WebhookVerificationError('No matching signature found');
}

/** Seconds since the epoch, if within the tolerance of now. Only digits: `12abc` is refused. */
function checkTimestamp(text: string, options: VerifyOptions): number {
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (!/^\d{1,15}$/.test(text)) throw new WebhookVerificationError('Invalid Signature Headers');
  const timestamp = Number(text);
  if (now - timestamp > tolerance) throw new WebhookVerificationError('Message timestamp too old');
  if (timestamp > now + tolerance) throw new WebhookVerificationError('Message timestamp too new');
  return timestamp;
}

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional, as in the official package). */
function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  const base64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    throw new TypeError('a signing secret must be whsec_ followed by base64');
  }
  if (bytes.length === 0) throw new TypeError("a signing secret can't be empty");
  return bytes;
}

async function hmacBase64(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, data));
  let text = '';
  for (const byte of mac) text += String.fromCharCode(byte);
  return btoa(text);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Equal strings, compared without stopping at the first difference. */
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
