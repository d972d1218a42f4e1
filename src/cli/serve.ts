import { type Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { ROLES, type Role, startHearthook } from '../server/startHearthook.js';
import { badFlagsExitWithUsage } from './exit.js';
import { allSettingFlags, settingsFromFlags } from './settingFlags.js';

/**
 * Adds `hearthook serve`: one flag per row of the config table (flags win over `HEARTHOOK_`
 * variables, which win over defaults), plus `--roles`. SIGTERM and SIGINT finish the deliveries
 * in flight, then exit.
 *
 * @example
 * hearthook serve --port 8081 --delivery-timeout 10s --roles api,worker
 */
export function serveCommand(program: Command): void {
  const command = program.command('serve').description('run Hearthook: API, ingest, dispatcher and scheduler (see --roles)');
  for (const option of allSettingFlags()) command.addOption(option);
  command.addOption(new Option('--roles <roles>', 'comma-separated roles to run: api,worker,scheduler,ingest-mqtt').default(ROLES.join(',')));
  badFlagsExitWithUsage(command).action(async (opts, cmd: Command) => {
    const roles = String(opts.roles)
      .split(',')
      .map((r) => r.trim());
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length) cmd.error(`error: --roles: unknown role ${unknown.join(', ')} (use ${ROLES.join(', ')})`);
    const running = await startHearthook(loadConfig(process.env, settingsFromFlags(opts)), roles as Role[]);
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
}
