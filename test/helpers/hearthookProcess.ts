import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ADMIN_TOKEN, INGEST_TOKEN } from './testRuntime.js';

/** The built CLI the process tests run: `npm test` builds `dist/` first. */
export const CLI = process.env.HEARTHOOK_CLI ?? resolve('dist/cli.js');

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`hearthook <args>`) until it exits, with only `env` (and PATH) set: for
 * commands that end (`migrate`, `rotate-master-key`) and starts that must fail. One that is still
 * running after `killAfterMs` (a start that should have failed but serves) is killed: code null.
 */
export function runCli(args: string[], env: Record<string, string>, killAfterMs = 120_000): Promise<Finished> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}

/** A real `hearthook serve` process, started with known tokens and loopback allowed. */
export class HearthookProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly args: string[] = [],
    /** Options for node itself, before the CLI (e.g. `--import` of a fault to inject). */
    private readonly nodeArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<this> {
    this.child = spawn(process.execPath, [...this.nodeArgs, CLI, 'serve', ...this.args], {
      env: {
        PATH: process.env.PATH,
        HEARTHOOK_PORT: String(this.port),
        HEARTHOOK_HOST: '127.0.0.1',
        HEARTHOOK_ADMIN_TOKEN: ADMIN_TOKEN,
        HEARTHOOK_INGEST_TOKEN: INGEST_TOKEN,
        HEARTHOOK_ALLOW_HTTP: 'true',
        HEARTHOOK_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
        HEARTHOOK_LOG_LEVEL: 'warn',
        HEARTHOOK_RATE_LIMIT: 'off',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d) => (this.output += d));
    this.child.stderr?.on('data', (d) => (this.output += d));
    if (this.args.includes('--roles') && !this.args[this.args.indexOf('--roles') + 1].includes('api')) return this;
    // Generous: on a loaded machine (CI, 2 cores shared) a start has been seen taking 20 s.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`hearthook exited (${this.child.exitCode}): ${this.output}`);
      try {
        if ((await fetch(`${this.url}/health`)).ok) return this;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.child.kill('SIGKILL'); // a start that never answered must not outlive the test run
    throw new Error(`hearthook did not start: ${this.output}`);
  }

  /** Ends it at once, as a crash or `kill -9` would: no shutdown code runs. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Waits until it exits by itself (no signal sent); its exit code. */
  async exited(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    return new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  }

  /** Asks it to stop (graceful shutdown) and waits until it has. */
  async stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill(signal);
    return exited;
  }
}

/** Calls the API of a running process and returns the parsed body, failing on an error status. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/**
 * The oldest API major a running process still renders (current or deprecated): 1 until its
 * support ends on 2027-04-01, then 2. Process tests run on the real clock, so they ask for it
 * rather than name a major that retires under them.
 */
export async function oldestSupportedMajor(base: string): Promise<number> {
  const { data } = await call<{ data: Array<{ major: number; status: string }> }>(base, 'GET', '/v1/versions', {});
  return Math.min(...data.filter((v) => v.status === 'current' || v.status === 'deprecated').map((v) => v.major));
}
