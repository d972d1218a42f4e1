import type { Logger } from 'pino';
import { bootstrapSecrets, type Secrets } from '../config/bootstrapSecrets.js';
import type { Config } from '../config/config.js';
import { logDeliveryFailures } from '../delivery/logDeliveryFailures.js';
import { RecipientCache } from '../fanout/recipientCache.js';
import { loadRules } from '../rules/ruleSet.js';
import type { Runtime } from '../runtime.js';
import { openStore } from '../store/openStore.js';
import { type Clock, systemClock } from '../util/clock.js';
import { Observer } from '../util/observer.js';
import { Encrypter } from '../util/secrets.js';
import { createLogger } from './createLogger.js';

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
}

/** Opens the store (migrating it), loads secrets and rules: everything a role needs to run. */
export async function createRuntime(
  config: Config,
  options: RuntimeOptions = {},
): Promise<{ rt: Runtime } & Pick<Secrets, 'generated' | 'sources'>> {
  const log = options.log ?? (await createLogger(config.logLevel));
  const observer = new Observer();
  const rules = loadRules(config.rulesFile);
  // e.g. the PostgreSQL server restarted: the pool replaces the connection; worth a line in the log.
  const store = await openStore(config.database, {
    onError: (err) => log.warn({ err }, 'database connection error'),
    onTransaction: (ms) => observer.transaction(ms),
  });
  try {
    const secrets = await bootstrapSecrets(store, config);
    const rt: Runtime = {
      config,
      store,
      clock: options.clock ?? systemClock,
      log,
      encrypter: new Encrypter(secrets.masterKey),
      adminTokenHash: secrets.adminTokenHash,
      ingestTokenHash: secrets.ingestTokenHash,
      rules,
      recipients: new RecipientCache(),
      observer,
    };
    logDeliveryFailures(observer, log, rt.clock);
    return { rt, generated: secrets.generated, sources: secrets.sources };
  } catch (err) {
    await store.close();
    throw err;
  }
}
