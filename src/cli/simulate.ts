import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../config/duration.js';
import { runSimulation, SimulationError, type SimulationOptions } from '../simulator/runSimulation.js';
import { BAD_USAGE } from './exit.js';
import { httpUrl, mqttUrl } from './urlFlags.js';

/**
 * Adds `hearthook simulate` to the CLI: a gateway fleet sending realistic traffic to a running
 * Hearthook's ingest API. Bad flags print what is wrong and exit with code 2; a refused token or
 * an unreachable server exits with 1.
 *
 * @example
 * hearthook simulate --gateways 50 --rate 20 --target http://localhost:8080 --faults --outages \
 *   --ingest-token $HEARTHOOK_INGEST_TOKEN --admin-token $HEARTHOOK_ADMIN_TOKEN --company $COMPANY --duration 5m
 */
export function simulateCommand(program: Command): void {
  program
    .command('simulate')
    .description("send a simulated gateway fleet's traffic to a running Hearthook (POST /v1/ingest)")
    .addOption(new Option('--gateways <n>', 'gateways in the fleet').argParser(wholeNumber(1, 100_000)).default(10))
    .addOption(new Option('--rate <r>', 'messages per second, whole fleet').argParser(positiveNumber(100_000)).default(10))
    .requiredOption('--target <url>', 'base URL of Hearthook, e.g. http://localhost:8080', httpUrl)
    .option('--duration <d>', 'stop after this long, e.g. 30s or 5m (default: until Ctrl-C)', positiveDuration)
    .option('--faults', 'faults become active and clear again, some within the transient window')
    .option('--outages', 'gateways drop offline (DISCONNECTED, or just silence) and come back')
    .addOption(new Option('--ingest-token <token>', 'gateway ingest token (not needed with --mqtt)').env('HEARTHOOK_INGEST_TOKEN'))
    .option('--mqtt <url>', 'publish over this MQTT broker instead (mqtt://user:pass@host:1883; {gatewayId} in the user name): one client per gateway, with its last will', mqttUrl)
    .option('--mqtt-topic-prefix <prefix>', 'topic prefix on the broker', 'hearthook/gateways')
    .addOption(new Option('--admin-token <token>', 'operator token: registers the gateways first').env('HEARTHOOK_ADMIN_TOKEN'))
    .option('--company <id>', 'pair the gateways with this company, MONITOR_AND_CONTROL (needs --admin-token)')
    .option('--seed <n>', 'seed, for the same traffic on every run (default: random)', wholeNumber(0, 2 ** 32 - 1))
    // Commander exits with 1 on a bad flag; our CLI's convention for bad usage is 2.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : BAD_USAGE))
    .action(async (opts, command: Command) => {
      if (!opts.ingestToken && !opts.mqtt) {
        command.error("error: required option '--ingest-token <token>' not specified (or publish over --mqtt)", { exitCode: BAD_USAGE });
      }
      if (opts.company && !opts.adminToken) {
        command.error('error: --company needs --admin-token (pairing is an operator act)', { exitCode: BAD_USAGE });
      }
      const options: SimulationOptions = {
        gateways: opts.gateways,
        rate: opts.rate,
        target: opts.target,
        durationMs: opts.duration,
        faults: Boolean(opts.faults),
        outages: Boolean(opts.outages),
        ingestToken: opts.ingestToken,
        mqtt: opts.mqtt,
        mqttTopicPrefix: opts.mqttTopicPrefix,
        adminToken: opts.adminToken,
        company: opts.company,
        seed: opts.seed ?? Math.floor(Math.random() * 2 ** 32),
      };
      const stop = new AbortController();
      // The first Ctrl-C ends the run with its summary; a second one ends it at once.
      const onInterrupt = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
      process.on('SIGINT', onInterrupt);
      try {
        await runSimulation(options, { stdout: process.stdout, stderr: process.stderr, signal: stop.signal });
      } catch (err) {
        if (!(err instanceof SimulationError)) throw err;
        process.stderr.write(`hearthook simulate: ${err.message}\n`);
        process.exitCode = 1;
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    });
}

function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function positiveNumber(max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || n <= 0 || n > max) throw new InvalidArgumentError(`must be a number above 0, at most ${max}`);
    return n;
  };
}

function positiveDuration(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (ms <= 0) throw new InvalidArgumentError('must be longer than 0');
  return ms;
}
