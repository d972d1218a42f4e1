import { LRUCache } from 'lru-cache';
import type { WebhookRow } from '../api/partner/webhooks.js';
import type { EventRow } from '../fanout/fanOut.js';
import type { Db } from '../store/db.js';
import type { StoredEvent } from '../versions/renderEvent.js';
import type { Clock } from '../util/clock.js';
import type { Encrypter } from '../util/secrets.js';
import { placeholders } from './queue/placeholders.js';
import { secretKey } from './signPayload.js';

/** A webhook as the dispatcher needs it: secrets decrypted, URL parsed. */
export interface Target {
  id: string;
  url: URL;
  apiKeyName: string;
  apiKeyLocation: 'HEADER' | 'QUERY';
  apiKey: string;
  /** Signing keys: the current secret's, plus the previous one's during a rotation. */
  signingKeys: Buffer[];
  apiVersion: number;
  languages: string[];
  updatedAt: number;
}

/** The webhook columns a delivery needs, and its company's languages. */
type TargetRow = Pick<
  WebhookRow,
  'id' | 'url' | 'api_key_name' | 'api_key_location' | 'api_key_enc' | 'secret_enc' | 'previous_secret_enc' | 'previous_secret_expires_at' | 'api_version' | 'updated_at'
> & { languages: string };

/** A decrypted webhook and until when it may be reused as is. */
interface CachedTarget {
  target: Target;
  /** When the previous signing key's grace ends: the cached keys are stale from then on. */
  staleAt: number;
}

/** A webhook whose deliveries cannot be built: why, as its partner reads it in the attempt log. */
export class BrokenTarget {
  constructor(readonly reason: string) {}
}

/**
 * Decrypted webhooks kept at most: a few hundred bytes each, so the bound is about a megabyte
 * however many webhooks come and go; one idle for 10 minutes is dropped (deleted webhooks and
 * rotated secrets leave no copies behind for long).
 */
const CACHED_TARGETS = 5_000;
const IDLE_TARGET_MS = 10 * 60_000;

/**
 * Loads the events and webhooks a claimed batch needs, two queries per batch. Decrypted
 * webhooks are cached until the row's `updated_at` changes (AES-GCM per delivery is waste), or
 * until a rotated-out secret's grace period ends, which changes no row. A webhook that cannot
 * be decrypted or parsed comes back as a `BrokenTarget`: it fails its own deliveries only.
 */
export class DeliveryTargets {
  private readonly cache = new LRUCache<string, CachedTarget>({ max: CACHED_TARGETS, ttl: IDLE_TARGET_MS, updateAgeOnGet: true });

  constructor(
    private readonly encrypter: Encrypter,
    private readonly clock: Clock,
    /** Called before each decryption (tests inject faults there). */
    private readonly beforeDecrypt?: (webhookId: string) => void,
  ) {}

  async events(db: Db, ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const unique = [...new Set(ids)];
    const rows = await db.all<EventRow>(
      `SELECT id, type, gateway_id, data, occurred_at, created_at FROM events WHERE id IN (${placeholders(unique.length)})`,
      unique,
    );
    return new Map(
      rows.map((r) => [
        r.id,
        { id: r.id, type: r.type, gatewayId: r.gateway_id, dataJson: r.data, occurredAt: r.occurred_at, createdAt: r.created_at },
      ]),
    );
  }

  /**
   * The webhooks of `ids`. With `versions` (each webhook's `updated_at`, read by the claim), a
   * cached webhook still at that version is used as is, and only the others are read.
   */
  async webhooks(db: Db, ids: readonly string[], versions?: ReadonlyMap<string, number>): Promise<Map<string, Target | BrokenTarget>> {
    const found = new Map<string, Target | BrokenTarget>();
    const now = this.clock.now();
    let unique = [...new Set(ids)];
    if (versions) {
      unique = unique.filter((id) => {
        const cached = this.cache.get(id);
        const fresh = cached !== undefined && cached.target.updatedAt === versions.get(id) && now < cached.staleAt;
        if (fresh) found.set(id, cached.target);
        return !fresh;
      });
      if (unique.length === 0) return found;
    }
    const rows = await db.all<TargetRow>(
      `SELECT w.id, w.url, w.api_key_name, w.api_key_location, w.api_key_enc, w.secret_enc, w.previous_secret_enc,
              w.previous_secret_expires_at, w.api_version, w.updated_at, c.languages
         FROM webhooks w JOIN companies c ON c.id = w.company_id
        WHERE w.id IN (${placeholders(unique.length)})`,
      unique,
    );
    for (const row of rows) {
      let cached = this.cache.get(row.id);
      if (!cached || cached.target.updatedAt !== row.updated_at || now >= cached.staleAt) {
        try {
          this.beforeDecrypt?.(row.id);
          cached = this.decrypt(row, now);
        } catch (err) {
          this.cache.delete(row.id);
          found.set(row.id, new BrokenTarget(`configuration error: ${(err as Error).message}`));
          continue;
        }
        this.cache.set(row.id, cached);
      }
      found.set(row.id, cached.target);
    }
    return found;
  }

  private decrypt(row: TargetRow, now: number): CachedTarget {
    const open = (stored: string): string => {
      try {
        return this.encrypter.decrypt(stored);
      } catch {
        throw new Error("the webhook's stored secrets cannot be decrypted with the server's master key");
      }
    };
    const signingKeys = [secretKey(open(row.secret_enc))];
    const graceEnds = row.previous_secret_expires_at;
    // During a rotation both secrets sign (Standard Webhooks allows several signatures), so a
    // receiver still verifying with the old secret keeps working until the grace period ends.
    const inGrace = row.previous_secret_enc !== null && graceEnds !== null && now < graceEnds;
    if (inGrace) signingKeys.push(secretKey(open(row.previous_secret_enc as string)));
    const target: Target = {
      id: row.id,
      url: new URL(row.url),
      apiKeyName: row.api_key_name,
      apiKeyLocation: row.api_key_location,
      apiKey: open(row.api_key_enc),
      signingKeys,
      apiVersion: row.api_version,
      languages: JSON.parse(row.languages),
      updatedAt: row.updated_at,
    };
    return { target, staleAt: inGrace ? (graceEnds as number) : Number.POSITIVE_INFINITY };
  }
}
