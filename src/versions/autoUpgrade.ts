import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { type ApiVersion, currentMajor, effectiveMajor } from './registry.js';

/** A webhook as far as its version matters. */
export interface PinnedWebhook {
  id: string;
  /** The pinned major (`webhooks.api_version`). */
  apiVersion: number;
}

/**
 * Re-pins every webhook whose major's support has ended to the current major, and records from
 * which major and when (`auto_upgraded_from`, `auto_upgraded_at`), so the partner (webhook JSON)
 * and the operator see why their events changed shape. Called by the dispatcher before it
 * renders, so the record is written before the first delivery in the new major goes out.
 *
 * The UPDATE is conditional on the old pin: when several dispatchers hold the same webhook, one
 * records the upgrade and the others change nothing, so it is recorded once. No statement at
 * all while every pin is supported (the steady state). Returns the ids it upgraded.
 *
 * @example
 * await recordAutoUpgrades(rt.store, targets.values(), rt.clock.now(), rt.config.apiVersions, rt.log);
 */
export async function recordAutoUpgrades(
  db: Db,
  webhooks: Iterable<PinnedWebhook>,
  now: number,
  versions: readonly ApiVersion[],
  log?: Logger,
): Promise<string[]> {
  const upgraded: string[] = [];
  for (const webhook of webhooks) {
    if (effectiveMajor(webhook.apiVersion, now, versions) === webhook.apiVersion) continue;
    const to = currentMajor(now, versions);
    const changed = await db.run(
      `UPDATE webhooks SET auto_upgraded_from = api_version, auto_upgraded_at = ?, api_version = ?, updated_at = ?
        WHERE id = ? AND api_version = ?`,
      [now, to, now, webhook.id, webhook.apiVersion],
    );
    if (changed === 0) continue;
    upgraded.push(webhook.id);
    log?.info({ webhookId: webhook.id, from: webhook.apiVersion, to }, 'webhook upgraded automatically: its API major reached end of support');
  }
  return upgraded;
}
