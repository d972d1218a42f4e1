import type { Logger } from 'pino';
import { bootstrapSecrets, type Secrets } from '../config/bootstrapSecrets.js';
import type { Config } from '../config/config.js';
import { deliveryIds } from '../api/deliveryIds.js';
import { logDeliveryFailures } from '../delivery/logDeliveryFailures.js';
import { RecipientCache } from '../fanout/recipientCache.js';
import { RateLimiter } from '../limits/rateLimiter.js';
import { loadRules } from '../rules/ruleSet.js';
import type { Runtime } from '../runtime.js';
import { openStore } from '../store/openStore.js';
import { type Clock, systemClock } from '../util/clock.js';
import { Observer } from '../util/observer.js';
import { Encrypter } from '../util/secrets.js';
import { createLogger } from './createLogger.js';

/** A joining runtime's secrets all come from the main thread's, which logged where from. */
const JOINED_SOURCES: Secrets['sources'] = { adminToken: 'stored', ingestToken: 'stored', masterKey: 'stored' };

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** For a runtime on a second thread of a process whose main thread made its own already. */
  joining?: JoinedRuntime;
}

/** What a second thread's runtime takes from the main thread's, instead of making it again. */
export interface JoinedRuntime {
  secrets: Pick<Secrets, 'adminTokenHash' | 'ingestTokenHash' | 'masterKey'>;
  /** The main thread's SQLite write lock (`openStore`'s `joinSqlite`); none on PostgreSQL. */
  sqliteWriteLock?: SharedArrayBuffer;
}

/**
 * Opens the store (migrating it), loads secrets and rules: everything a role needs to run. A
 * joining runtime opens its own connection without migrating, takes the main thread's secrets,
 * and leaves the failure log to the main thread (which hears its deliveries: DeliveryThread).
 */
export async function createRuntime(
  config: Config,
  options: RuntimeOptions = {},
): Promise<{ rt: Runtime } & Pick<Secrets, 'generated' | 'sources' | 'masterKey'>> {
  const log = options.log ?? (await createLogger(config.logLevel));
  const observer = new Observer();
  const rules = loadRules(config.rulesFile);
  const { joining } = options;
  // e.g. the PostgreSQL server restarted: the pool replaces the connection; worth a line in the log.
  const store = await openStore(config.database, {
    onError: (err) => log.warn({ err }, 'database connection error'),
    onTransaction: (ms) => observer.transaction(ms),
    joinSqlite: joining?.sqliteWriteLock,
  });
  try {
    const secrets = joining
      ? { ...joining.secrets, masterKey: Buffer.from(joining.secrets.masterKey), generated: {}, sources: JOINED_SOURCES }
      : await bootstrapSecrets(store, config);
    const clock = options.clock ?? systemClock;
    const rt: Runtime = {
      config,
      store,
      clock,
      log,
      encrypter: new Encrypter(secrets.masterKey),
      adminTokenHash: secrets.adminTokenHash,
      ingestTokenHash: secrets.ingestTokenHash,
      rules,
      recipients: new RecipientCache(),
      limits: new RateLimiter(store, clock, config.rateLimit, config.rateLimits),
      observer,
    };
    if (!joining) logDeliveryFailures(observer, log, rt.clock, deliveryIds(store));
    return { rt, generated: secrets.generated, sources: secrets.sources, masterKey: secrets.masterKey };
  } catch (err) {
    await store.close();
    throw err;
  }
}
