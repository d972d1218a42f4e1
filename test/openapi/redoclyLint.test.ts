/**
 * `@redocly/cli lint` with its recommended rules finds no error and no warning in
 * `/openapi.json`. The CLI is the one partners' tooling runs; it is started offline (telemetry
 * and the update check off), on the document exactly as the server serves it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const REDOCLY = resolve('node_modules/@redocly/cli/bin/cli.js');

interface Problem {
  severity: 'error' | 'warn';
  ruleId: string;
  message: string;
  location: Array<{ pointer: string }>;
}

let hh: TestHearthook;
let dir: string;
beforeAll(async () => {
  hh = await startTestHearthook();
  dir = mkdtempSync(join(tmpdir(), 'hearthook-openapi-'));
});
afterAll(async () => {
  await hh.close();
  rmSync(dir, { recursive: true, force: true });
});

it('redocly lint (recommended) reports no error and no warning in /openapi.json', async () => {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).body);
  const run = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', '--extends', 'recommended', '--format', 'json', file], {
    cwd: dir,
    env: { PATH: process.env.PATH, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stdout: string; stderr: string }) => err);
  const problems = (JSON.parse(run.stdout) as { problems: Problem[] }).problems;
  const lines = problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
  expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
  expect(lines.filter((l) => l.startsWith('warn'))).toEqual([]);
});
