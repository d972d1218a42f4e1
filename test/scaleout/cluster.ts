import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Runtime } from '../../src/runtime.js';
import type { Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { systemClock } from '../../src/util/clock.js';
import { packageRoot } from '../../src/util/packageRoot.js';
import { Encrypter, parseMasterKey } from '../../src/util/secrets.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';

/** The built CLI the nodes run: `HEARTHOOK_CLI`, else `dist/cli.js` (`npm test` builds it first). */
export const CLI = process.env.HEARTHOOK_CLI ?? join(packageRoot, 'dist', 'cli.js');
export const INGEST_TOKEN = 'hhi_scaleout-ingest-token';
const MASTER_KEY = randomBytes(32).toString('base64');

/** Why the scale-out tests cannot run here, or undefined when they can. */
export function scaleoutSkipReason(): string | undefined {
  if (!testPostgresUrl()) return 'no PostgreSQL: set HEARTHOOK_TEST_DATABASE (npm run test:postgres)';
  if (!existsSync(CLI)) return `no built CLI at ${CLI}: run npm run build, or set HEARTHOOK_CLI`;
  return undefined;
}

/** One `hearthook serve` process. */
export interface Node {
  name: string;
  proc: ChildProcess;
  url: string;
  pid: number;
  /** Its stderr and stdout, for the failure message. */
  output: string[];
  alive: boolean;
}

/**
 * Several `hearthook serve` processes on one fresh PostgreSQL schema, and a store of the test's
 * own on it (to seed rows and inspect the queue).
 */
export class Cluster {
  readonly nodes: Node[] = [];
  store!: Store;
  rt!: Runtime;
  private schema = '';
  private database = '';

  constructor(private readonly env: Record<string, string>) {}

  /** Creates the schema and starts `count` nodes running `roles` (all by default). */
  async start(count: number, roles?: string): Promise<void> {
    const base = testPostgresUrl()!;
    ({ schema: this.schema, database: this.database } = newTestSchema(base));
    this.store = await openStore(this.database);
    // Enough of a Runtime for test/helpers/seed.ts: the nodes share this master key.
    this.rt = { store: this.store, clock: systemClock, encrypter: new Encrypter(parseMasterKey(MASTER_KEY)) } as Runtime;
    await this.add(count, roles);
  }

  /** Starts `count` more nodes. */
  async add(count: number, roles?: string): Promise<Node[]> {
    const first = this.nodes.length;
    return Promise.all(Array.from({ length: count }, (_, i) => this.startNode(`node${first + i}`, roles)));
  }

  live(): Node[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** SIGKILL: no shutdown hook runs, leases stay held until they expire. */
  kill(node: Node): void {
    node.alive = false;
    node.proc.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.proc.exitCode !== null || n.proc.signalCode !== null) return resolve();
            n.proc.once('exit', () => resolve());
            n.proc.kill('SIGKILL');
          }),
      ),
    );
    await this.store?.close();
    if (this.schema) await dropTestSchema(testPostgresUrl()!, this.schema);
  }

  private async startNode(name: string, roles?: string): Promise<Node> {
    const port = await freePort();
    const proc = spawn(process.execPath, [CLI, 'serve', ...(roles ? ['--roles', roles] : [])], {
      env: {
        PATH: process.env.PATH ?? '',
        HEARTHOOK_DATABASE: this.database,
        HEARTHOOK_HOST: '127.0.0.1',
        HEARTHOOK_PORT: String(port),
        HEARTHOOK_ADMIN_TOKEN: 'hha_scaleout-admin-token',
        HEARTHOOK_INGEST_TOKEN: INGEST_TOKEN,
        HEARTHOOK_MASTER_KEY: MASTER_KEY,
        HEARTHOOK_ALLOW_HTTP: 'true',
        HEARTHOOK_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
        HEARTHOOK_LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node: Node = { name, proc, url: `http://127.0.0.1:${port}`, pid: proc.pid!, output: [], alive: true };
    proc.stdout!.on('data', (d) => node.output.push(String(d)));
    proc.stderr!.on('data', (d) => node.output.push(String(d)));
    this.nodes.push(node);
    // Without the api role there is no port to ask; such a node's work shows in the database.
    if (roles && !roles.split(',').includes('api')) return node;
    // Generous: on a loaded machine (CI, 2 cores shared) a start has been seen taking 20 s.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break;
      const ok = await fetch(`${node.url}/health`).then((r) => r.ok, () => false);
      if (ok) return node;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL'); // a start that never answered must not outlive the test run
    throw new Error(`${name} did not start:\n${node.output.join('')}`);
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `condition` holds; rejects with `what` after `ms`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
