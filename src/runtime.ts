import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { RecipientCache } from './fanout/recipientCache.js';
import type { Rules } from './rules/ruleSet.js';
import type { Store } from './store/db.js';
import type { Clock } from './util/clock.js';
import type { Observer } from './util/observer.js';
import type { Encrypter } from './util/secrets.js';

/** What every part of a running Hearthook shares: built once by `startHearthook`. */
export interface Runtime {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  /** Encrypts webhook API keys and signing secrets at rest. */
  encrypter: Encrypter;
  /** sha256 of the operator and ingest tokens. */
  adminTokenHash: string;
  ingestTokenHash: string;
  rules: Rules;
  /** Gateways' recipients, kept between fan-outs (invalidated through the database). */
  recipients: RecipientCache;
  /** Where the flow reports what happens (deliveries, ingest, transactions) to metrics and logs. */
  observer: Observer;
}
