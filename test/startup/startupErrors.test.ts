import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, HearthookProcess, runCli } from '../helpers/hearthookProcess.js';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

// Every start here runs the built CLI on a SQLite *file*: its checkpoint worker is what once made
// a failed start exit 0 in silence (:memory: has none).
// Generous timeouts: each test starts real processes, which take 20 s and more on a loaded machine.
describe('hearthook serve refuses to start, exiting non-zero and naming what to fix', { timeout: 240_000 }, () => {
  let dir: string;
  let database: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-startup-'));
    database = join(dir, 'hearthook.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const serve = async (env: Record<string, string>, args: string[] = []) =>
    runCli(['serve', ...args], { HEARTHOOK_DATABASE: database, HEARTHOOK_HOST: '127.0.0.1', HEARTHOOK_PORT: String(await freePort()), ...env });

  it('on an invalid master key', async () => {
    const { code, stderr } = await serve({ HEARTHOOK_MASTER_KEY: 'not-a-key' });
    expect(code).toBe(2);
    expect(stderr).toContain('HEARTHOOK_MASTER_KEY');
  });

  it('on a master key other than the one the database was set up with, and starts again with the right one', async () => {
    const first = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: KEY_A }).start();
    expect(await first.stop()).toBe(0);

    const { code, stderr } = await serve({ HEARTHOOK_MASTER_KEY: KEY_B });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toMatch(/HEARTHOOK_MASTER_KEY is not the key this database was encrypted with/);
    // Forgetting to set it, on a database that does not store its key, is refused too.
    const unset = await serve({});
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain('HEARTHOOK_MASTER_KEY is not set');

    const again = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: database, HEARTHOOK_MASTER_KEY: KEY_A }).start();
    expect(await again.stop()).toBe(0);
  });

  it('on a master key set later on a database that made and stored its own', async () => {
    const first = await new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: database }).start();
    expect(await first.stop()).toBe(0);
    const { code, stderr } = await serve({ HEARTHOOK_MASTER_KEY: KEY_B });
    expect(code).not.toBe(0);
    expect(stderr).toContain('HEARTHOOK_MASTER_KEY');
  });

  describe('when its port is taken', () => {
    let blocker: Server;
    let port: number;
    beforeEach(async () => {
      blocker = createServer();
      await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
      port = (blocker.address() as { port: number }).port;
    });
    afterEach(() => new Promise<void>((done) => blocker.close(() => done())));

    it('suggests --port / HEARTHOOK_PORT, and prints no credentials it would then forget', async () => {
      const { code, stdout, stderr } = await runCli(['serve'], { HEARTHOOK_DATABASE: database, HEARTHOOK_HOST: '127.0.0.1', HEARTHOOK_PORT: String(port) });
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(stderr).toContain(`port ${port} is in use`);
      expect(stderr).toMatch(/--port or HEARTHOOK_PORT/);
      expect(stdout).not.toContain('HEARTHOOK_ADMIN_TOKEN=');

      // The tokens made by the failed start were not kept: the next start makes and prints them.
      const next = new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: database, HEARTHOOK_ADMIN_TOKEN: '', HEARTHOOK_INGEST_TOKEN: '' });
      await next.start();
      expect(await next.stop()).toBe(0);
      expect(next.output).toMatch(/HEARTHOOK_ADMIN_TOKEN=hha_/);
      expect(next.output).toMatch(/HEARTHOOK_INGEST_TOKEN=hhi_/);
    });
  });

  it.each([
    [{ HEARTHOOK_LOG_LEVEL: 'loud' }, 'HEARTHOOK_LOG_LEVEL'],
    [{ HEARTHOOK_MAX_IN_FLIGHT: '0' }, 'HEARTHOOK_MAX_IN_FLIGHT'],
    [{ HEARTHOOK_DELIVERY_TIMEOUT: '0s' }, 'HEARTHOOK_DELIVERY_TIMEOUT'],
    [{ HEARTHOOK_DELIVERY_TIMEOUT: '15' }, 'HEARTHOOK_DELIVERY_TIMEOUT'],
  ])('on %o, exit code 2', async (env, name) => {
    const { code, stderr } = await serve(env);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^hearthook: ${name}: `));
  });

  it('on a flag it cannot use, naming the flag', async () => {
    const { code, stderr } = await serve({}, ['--max-in-flight', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--max-in-flight');
  });

  it('on a database file it cannot create, naming HEARTHOOK_DATABASE', async () => {
    // A directory in the path is a file (permissions would not stop the root user of CI).
    writeFileSync(join(dir, 'a-file'), '');
    const impossible = join(dir, 'a-file', 'hearthook.db');
    const { code, stderr } = await serve({ HEARTHOOK_DATABASE: impossible });
    expect(code).toBe(1);
    expect(stderr).toContain('HEARTHOOK_DATABASE');
    expect(stderr).toContain(impossible);
  });

  it('on a rules file that is missing, naming the file', async () => {
    const { code, stderr } = await serve({ HEARTHOOK_RULES: join(dir, 'missing.json') });
    expect(code).toBe(1);
    expect(stderr).toContain(join(dir, 'missing.json'));
  });
});

describe('hearthook migrate and a normal start', { timeout: 240_000 }, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate prints its line and exits 0 on a SQLite file', async () => {
    const database = join(dir, 'hearthook.db');
    const { code, stdout } = await runCli(['migrate'], { HEARTHOOK_DATABASE: database });
    expect(stdout).toBe(`database ${database} is up to date\n`);
    expect(code).toBe(0);
  });

  it('logs where the tokens and the master key come from, never their values', async () => {
    const server = new HearthookProcess(await freePort(), { HEARTHOOK_DATABASE: join(dir, 'h.db'), HEARTHOOK_LOG_LEVEL: 'info', HEARTHOOK_INGEST_TOKEN: '' });
    await server.start();
    await server.stop();
    const line = server.output.split('\n').find((l) => l.includes('credentials: where each comes from'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!);
    expect(logged.adminToken).toBe('from HEARTHOOK_ADMIN_TOKEN (environment or flag)');
    expect(logged.ingestToken).toBe('made on this start');
    expect(logged.masterKey).toBe('made on this start');
    expect(line).not.toContain('hha_');
  });
});
