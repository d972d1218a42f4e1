import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random id with a type prefix, e.g. `wh_3k9x…` (like Stripe's and Svix's ids). */
export function newId(prefix: string, length = 20): string {
  const bytes = randomBytes(length);
  let id = `${prefix}_`;
  for (let i = 0; i < length; i++) id += ALPHABET[bytes[i] % 36];
  return id;
}

let lastMs = 0;
let counter = 0;
/**
 * An event id that sorts by creation time: `evt_` + 12 hex digits of milliseconds + a
 * per-process counter + randomness, so ids from several nodes never collide.
 */
export function newEventId(now: number): string {
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  return `evt_${now.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(5).toString('hex')}`;
}
