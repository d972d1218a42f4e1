import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLI, freePort } from '../helpers/hearthookProcess.js';
import { ADMIN_TOKEN, INGEST_TOKEN } from '../helpers/testRuntime.js';

/** Starts `hearthook serve` on in-memory SQLite, its stdout piped, or on a terminal through `script`. */
async function serve(terminal: boolean): Promise<{ child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const command = `${process.execPath} ${CLI} serve`;
  const [file, args] = terminal ? ['script', ['-qfec', command, '/dev/null']] : [process.execPath, [CLI, 'serve']];
  const child = spawn(file, args, {
    detached: true, // its own process group, ended as a whole (script runs the server in a child)
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      TERM: 'xterm',
      HEARTHOOK_PORT: String(port),
      HEARTHOOK_HOST: '127.0.0.1',
      HEARTHOOK_DATABASE: ':memory:',
      HEARTHOOK_ADMIN_TOKEN: ADMIN_TOKEN,
      HEARTHOOK_INGEST_TOKEN: INGEST_TOKEN,
      HEARTHOOK_LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

describe('the log format of hearthook serve', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    child = undefined;
  });

  it('writes JSON lines with ISO times when stdout is not a terminal', async () => {
    const started = await serve(false);
    child = started.child;
    await vi.waitFor(() => expect(started.output()).toContain('Hearthook is listening'), { timeout: 20_000, interval: 100 });
    const line = started
      .output()
      .split('\n')
      .find((l) => l.includes('Hearthook is listening'))!;
    const entry = JSON.parse(line);
    expect(entry).toMatchObject({ level: 30, service: 'hearthook', msg: 'Hearthook is listening' });
    expect(entry.time).toBe(new Date(entry.time).toISOString());
    // The roles that run: ingest-mqtt is not started without HEARTHOOK_MQTT_URL (audit 3 of issue 14).
    expect(entry.roles).toEqual(['api', 'worker', 'scheduler']);
  });

  it('writes readable lines (pino-pretty) when stdout is a terminal', async () => {
    const started = await serve(true);
    child = started.child;
    await vi.waitFor(() => expect(started.output()).toContain('Hearthook is listening'), { timeout: 20_000, interval: 100 });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the terminal's colour codes
    const plain = started.output().replace(/\u001b\[[0-9;]*m/g, '');
    const line = plain.split(/\r?\n/).find((l) => l.includes('Hearthook is listening'))!;
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z\] INFO.*: Hearthook is listening/);
    expect(plain).not.toContain('"msg"');
  });
});
