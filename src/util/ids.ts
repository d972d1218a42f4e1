import { randomBytes, randomFillSync } from 'node:crypto';

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
 * Random bytes for event ids, drawn from a pool refilled 4 KiB at a time: `randomBytes(5)` per
 * event is a system call each (8.6 µs on the 2-core machine), and was 24% of the serve process's
 * CPU at full ingest (npm run bench).
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function randomHex(bytes: number): string {
  if (poolUsed + bytes > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += bytes;
  return pool.toString('hex', poolUsed - bytes, poolUsed);
}

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
  return `evt_${now.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomHex(5)}`;
}
