#!/usr/bin/env node
import { Command, Option } from 'commander';
import { type Config, loadConfig } from './config/config.js';
import { parseDuration, parseDurationList } from './config/duration.js';
import { ROLES, type Role, startHearthook } from './server/startHearthook.js';
import { simulateCommand } from './simulator/simulateCommand.js';
import { describeDatabase, openStore } from './store/openStore.js';
import { packageVersion } from './util/packageVersion.js';

const program = new Command('hearthook')
  .description('Hearthook: event notifications from connected HVAC systems to partner webhooks')
  .version(packageVersion);

program
  .command('serve')
  .description('run Hearthook: API, ingest, dispatcher and scheduler (see --roles)')
  .option('--port <port>', 'HTTP port (HEARTHOOK_PORT)', (v) => Number(v))
  .option('--host <host>', 'address to listen on (HEARTHOOK_HOST)')
  .option('--database <pathOrUrl>', 'SQLite file path or postgres:// URL (HEARTHOOK_DATABASE)')
  .option('--admin-token <token>', 'operator token (HEARTHOOK_ADMIN_TOKEN)')
  .option('--ingest-token <token>', 'gateway ingest token (HEARTHOOK_INGEST_TOKEN)')
  .option('--metrics-token <token>', 'token for GET /metrics only (HEARTHOOK_METRICS_TOKEN)')
  .option('--master-key <key>', '32-byte key, base64 or hex (HEARTHOOK_MASTER_KEY)')
  .option('--allow-private-networks <cidrs>', 'comma-separated CIDRs (HEARTHOOK_ALLOW_PRIVATE_NETWORKS)', (v) =>
    v.split(',').map((s) => s.trim()),
  )
  .option('--allow-http', 'accept http:// webhook URLs (HEARTHOOK_ALLOW_HTTP)')
  .option('--delivery-timeout <duration>', 'endpoint timeout, e.g. 15s (HEARTHOOK_DELIVERY_TIMEOUT)', parseDuration)
  .option('--retry-schedule <durations>', 'e.g. 0s,5s,5m (HEARTHOOK_RETRY_SCHEDULE)', parseDurationList)
  .option('--rules <file>', 'rules file overriding the defaults (HEARTHOOK_RULES)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (HEARTHOOK_LOG_LEVEL)')
  .addOption(
    new Option('--roles <roles>', 'comma-separated roles to run: api,worker,scheduler').default(ROLES.join(',')),
  )
  .action(async (opts) => {
    const roles = String(opts.roles)
      .split(',')
      .map((r) => r.trim());
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length) fail(`--roles: unknown role ${unknown.join(', ')} (use ${ROLES.join(', ')})`);
    const overrides: Partial<Config> = {
      port: opts.port,
      host: opts.host,
      database: opts.database,
      adminToken: opts.adminToken,
      ingestToken: opts.ingestToken,
      metricsToken: opts.metricsToken,
      masterKey: opts.masterKey,
      allowPrivateNetworks: opts.allowPrivateNetworks,
      allowHttp: opts.allowHttp,
      deliveryTimeoutMs: opts.deliveryTimeout,
      retrySchedule: opts.retrySchedule,
      rulesFile: opts.rules,
      logLevel: opts.logLevel,
    };
    const running = await startHearthook(loadConfig(process.env, overrides), roles as Role[]);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      running.rt.log.info({ signal }, 'shutting down: finishing deliveries in flight');
      running.stop().then(
        () => process.exit(0),
        (err) => {
          running.rt.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('migrate')
  .description('apply database migrations and exit (serve also applies them)')
  .option('--database <pathOrUrl>', 'SQLite file path or postgres:// URL (HEARTHOOK_DATABASE)')
  .action(async (opts) => {
    const config = loadConfig(process.env, { database: opts.database });
    const store = await openStore(config.database);
    await store.close();
    process.stdout.write(`database ${describeDatabase(config.database)} is up to date\n`);
  });

simulateCommand(program);

function fail(message: string): never {
  process.stderr.write(`hearthook: ${message}\n`);
  process.exit(2);
}

program.parseAsync().catch((err: Error) => fail(err.message));
