import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from './hearthookProcess.js';

/**
 * The shared Mosquitto of the machine (`.ci/run` starts it), or `HEARTHOOK_TEST_MQTT_URL`. Tests
 * on it use a topic prefix and client ids of their own (`uniquePrefix`), so parallel runs on the
 * one broker never see each other's messages.
 */
export const SHARED_BROKER = process.env.HEARTHOOK_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

const hasMosquitto = (() => {
  try {
    execFileSync('mosquitto', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // `mosquitto -h` prints its usage and exits 3: it is installed.
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
})();

async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect(Number(port || 1883), hostname);
    socket.setTimeout(1000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  }).finally(() => undefined) as Promise<boolean>;
}

/** Why no MQTT test can run here, or undefined when a broker is at hand (shared or startable). */
export async function mqttSkipReason(): Promise<string | undefined> {
  if (hasMosquitto || (await reachable(SHARED_BROKER))) return undefined;
  return `no MQTT broker: nothing listens at ${SHARED_BROKER} and the mosquitto binary is not installed (apt-get install mosquitto)`;
}

/** Why the tests needing a broker of their own (ACL, deploy config) cannot run, or undefined. */
export function ownBrokerSkipReason(): string | undefined {
  return hasMosquitto ? undefined : 'the mosquitto binary is not installed (apt-get install mosquitto): these tests start a broker of their own';
}

/** A prefix of topics and client ids no other test run uses. */
export function uniquePrefix(name: string): string {
  return `hhtest-${name}-${randomBytes(5).toString('hex')}`;
}

/** A broker for a test: the shared one if it answers, else a Mosquitto of the test's own. */
export async function testBroker(): Promise<{ url: string; stop(): Promise<void> }> {
  if (await reachable(SHARED_BROKER)) return { url: SHARED_BROKER, stop: async () => {} };
  return startMosquitto({ config: 'listener PORT 127.0.0.1\nallow_anonymous true\n' });
}

export interface OwnBroker {
  url: string;
  port: number;
  dir: string;
  /** Ends it as a crash would, or asks it to stop. */
  stop(): Promise<void>;
}

/**
 * A Mosquitto process of the test's own on a free port. `config` may use PORT and DIR (a fresh
 * temporary directory holding `users` as a password file, made with `mosquitto_passwd`).
 */
export async function startMosquitto(opts: { config: string; users?: Record<string, string>; acl?: string }): Promise<OwnBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'hh-mosquitto-'));
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [user, password] of Object.entries(opts.users ?? {})) {
    execFileSync('mosquitto_passwd', ['-b', passwd, user, password], { stdio: 'ignore' });
  }
  if (opts.acl !== undefined) writeFileSync(join(dir, 'acl'), opts.acl);
  const configFile = join(dir, 'mosquitto.conf');
  // Run as the test's user: started by root, Mosquitto would switch to user mosquitto, which cannot
  // read the temporary directory.
  const config = `${opts.config.replaceAll('PORT', String(port)).replaceAll('DIR', dir)}\nuser ${userInfo().username}\n`;
  writeFileSync(configFile, config);
  const child: ChildProcess = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await reachable(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The broker configuration a fleet runs (`deploy/mosquitto/`), moved to a free port and a
 * temporary directory: what the ACL and durability tests run against.
 */
export function deployConfig(): { config: string; acl: string } {
  const config = readFileSync(resolve('deploy/mosquitto/mosquitto.conf'), 'utf8')
    .replace(/^listener 1883.*$/m, 'listener PORT 127.0.0.1')
    .replace(/^password_file .*$/m, 'password_file DIR/passwd')
    .replace(/^acl_file .*$/m, 'acl_file DIR/acl')
    .replace(/^persistence_location .*$/m, 'persistence_location DIR/')
    .replace(/^log_dest .*$/gm, '')
    .concat('\nlog_dest none\n');
  return { config, acl: readFileSync(resolve('deploy/mosquitto/acl'), 'utf8') };
}

/** An MQTT 5 client, connected. */
export async function connectClient(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  await new Promise<void>((done, fail) => {
    client.once('connect', () => done());
    client.once('error', fail);
  });
  return client;
}
