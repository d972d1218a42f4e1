import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import type { Db } from '../store/db.js';

const PREFIX = 'dlv_';
/** `dlv_` and 22 base64url characters (one 16-byte block). */
export const DELIVERY_ID_PATTERN = '^dlv_[A-Za-z0-9_-]{22}$';

/** JSON Schema of a delivery id in a path, a query or a response. */
export const deliveryIdSchema = {
  type: 'string',
  pattern: DELIVERY_ID_PATTERN,
  description: 'opaque delivery id, e.g. dlv_Qm9vT3R0aGVyV2lzZUtleQ',
  examples: ['dlv_Qm9vT3R0aGVyV2lzZUtleQ'],
} as const;

/**
 * Public delivery ids. Inside, a delivery keeps its integer primary key (joins, the claim and
 * every queue statement use it, and ingest writes nothing more per delivery); outside, it is
 * `dlv_` + the key encrypted as one AES-256 block (8 zero bytes, then the key, big-endian) under
 * a random key made by migration 013 (`public_id_keys`). That is a keyed permutation:
 * ids are unique, decode back without a lookup, reveal nothing of how many deliveries exist, and
 * one that was not made here fails the zero check (a 2^-64 chance of decoding at all, and then
 * it must still name one of the caller's deliveries). One cipher object is reused: ECB without
 * padding turns each 16-byte `update` into one block at once (~1 µs an id).
 *
 * @example
 * const ids = await deliveryIds(rt.store);
 * ids.encode(42);              // 'dlv_…' (22 characters after the prefix)
 * ids.decode(ids.encode(42));  // 42
 * ids.decode('dlv_forged…');   // undefined
 */
export interface DeliveryIds {
  encode(id: number): string;
  /** The primary key a public id names, or undefined when it names none. */
  decode(publicId: string): number | undefined;
}

const codecs = new WeakMap<Db, Promise<DeliveryIds>>();

/** The codec of the store's key, loaded once per store. */
export function deliveryIds(db: Db): Promise<DeliveryIds> {
  let codec = codecs.get(db);
  if (!codec) {
    codec = loadCodec(db);
    codecs.set(db, codec);
    codec.catch(() => codecs.delete(db));
  }
  return codec;
}

async function loadCodec(db: Db): Promise<DeliveryIds> {
  const row = await db.get<{ key: string }>("SELECT key FROM public_id_keys WHERE name = 'delivery'");
  if (!row || !/^[0-9a-f]{64}$/.test(row.key)) throw new Error('public_id_keys has no delivery key of 64 hex digits (migration 013)');
  return codecFor(Buffer.from(row.key, 'hex'));
}

/** The codec for a 32-byte key (exported for tests). */
export function codecFor(key: Buffer): DeliveryIds {
  const cipher: Cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const decipher: Decipher = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const block = Buffer.alloc(16);
  return {
    encode(id) {
      block.fill(0);
      block.writeBigUInt64BE(BigInt(id), 8);
      return PREFIX + cipher.update(block).toString('base64url');
    },
    decode(publicId) {
      if (publicId.length !== PREFIX.length + 22 || !publicId.startsWith(PREFIX)) return undefined;
      const sealed = Buffer.from(publicId.slice(PREFIX.length), 'base64url');
      // base64url decoding ignores what it cannot read; only the canonical spelling names an id.
      if (sealed.length !== 16 || sealed.toString('base64url') !== publicId.slice(PREFIX.length)) return undefined;
      const plain = decipher.update(sealed);
      if (plain.readBigUInt64BE(0) !== 0n) return undefined;
      const id = plain.readBigUInt64BE(8);
      return id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : undefined;
    },
  };
}
