import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** sha256 hex, for API keys and tokens stored only as hashes. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Compares two secrets in constant time. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A random token for operators and gateways. */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** Parses a 32-byte master key given as base64 or hex. */
export function parseMasterKey(text: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('must be 32 bytes, as base64 or 64 hex digits (e.g. from `openssl rand -base64 32`)');
  return key;
}

/**
 * AES-256-GCM with the operator's master key, for webhook API keys and signing secrets at rest.
 * Stored as `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class Encrypter {
  constructor(private readonly key: Buffer) {}

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, body] = stored.split('.');
    if (version !== 'v1') throw new Error('unknown encryption format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * A keyed hash of `text` for one `purpose` (HMAC-SHA256 under a key derived from the master
   * key for that purpose, hex): stored where a plain hash of a perhaps guessable secret could be
   * tried offline by whoever reads the database. It changes when the master key is rotated.
   */
  fingerprint(purpose: string, text: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `hearthook ${purpose}`, 32));
    return createHmac('sha256', key).update(text).digest('hex');
  }
}
