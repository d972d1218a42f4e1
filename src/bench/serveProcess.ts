import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../util/packageRoot.js';
import { sleep } from './stats.js';

/** The built CLI every scenario runs (`npm run bench` builds it first). */
export const CLI = join(packageRoot, 'dist', 'cli.js');
export const ADMIN_TOKEN = 'hha_bench-admin-token';
export const INGEST_TOKEN = 'hhi_bench-ingest-token';
/** One master key for every process of a run, so processes started later decrypt the webhooks. */
const MASTER_KEY = randomBytes(32).toString('base64');

/** Where CPU profiles go when the run was started with `--profile <dir>`. */
let profileDir: string | undefined;
export function profileServeProcesses(dir: string | undefined): void {
  profileDir = dir;
}

/** Settings every serve process of the run gets (`--set HEARTHOOK_X=value`), to measure one. */
let runEnv: Record<string, string> = {};
export function setServeEnvironment(env: Record<string, string>): void {
  runEnv = env;
}

/**
 * A real `hearthook serve` process on loopback (http and 127.0.0.0/8 allowed, logs at warn), as
 * an operator would run it: the only settings changed are the ones a scenario names.
 */
export class ServeProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (d) => this.keep(d));
    child.stderr?.on('data', (d) => this.keep(d));
  }

  /** Starts `hearthook serve` on `database` and waits for `/health` (unless it runs no API). */
  static async start(
    database: string,
    options: { roles?: string; env?: Record<string, string> } = {},
  ): Promise<ServeProcess> {
    const port = await freePort();
    const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), CLI, 'serve'];
    if (options.roles) args.push('--roles', options.roles);
    const child = spawn(process.execPath, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HEARTHOOK_PORT: String(port),
        HEARTHOOK_HOST: '127.0.0.1',
        HEARTHOOK_DATABASE: database,
        HEARTHOOK_ADMIN_TOKEN: ADMIN_TOKEN,
        HEARTHOOK_INGEST_TOKEN: INGEST_TOKEN,
        HEARTHOOK_MASTER_KEY: MASTER_KEY,
        HEARTHOOK_ALLOW_HTTP: 'true',
        HEARTHOOK_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
        HEARTHOOK_LOG_LEVEL: 'warn',
        // Load generators send far past a gateway's ingest limit; `--set HEARTHOOK_RATE_LIMIT=on`
        // measures a run with the limits.
        HEARTHOOK_RATE_LIMIT: 'off',
        ...runEnv,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const serve = new ServeProcess(child, `http://127.0.0.1:${port}`);
    if (options.roles && !options.roles.split(',').includes('api')) return serve;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hearthook serve exited (${child.exitCode}):\n${serve.output}`);
      const ok = await fetch(`${serve.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return serve;
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`hearthook serve did not answer /health in 30 s:\n${serve.output}`);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** What it printed (the last 20 KB), for error messages. */
  get log(): string {
    return this.output;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Peak resident set size in MiB (Linux `VmHWM`), or NaN where /proc is missing. */
  peakRssMiB(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
      return kb / 1024;
    } catch {
      return Number.NaN;
    }
  }

  /**
   * Ends it. The benchmark throws its data away, so by default it is killed at once (a graceful
   * stop would wait out requests to a hanging endpoint); when profiling, SIGTERM lets Node write
   * the profile.
   */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(profileDir ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  private keep(data: Buffer): void {
    this.output = (this.output + data).slice(-20_000);
  }
}

/** Runs `hearthook migrate` on `database`: a new database gets its schema before it is seeded. */
export async function migrate(database: string): Promise<void> {
  await promisify(execFile)(process.execPath, [CLI, 'migrate', '--database', database], { env: { PATH: process.env.PATH ?? '' } });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
