import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot.js';
import type { Machine } from './machine.js';
import { type BenchOptions, met, type ScenarioResult } from './scenario.js';

/** Writes `bench-results/<timestamp>.json` (gitignored) and returns its path. */
export function writeResults(
  startedAt: Date,
  command: string,
  options: BenchOptions,
  machine: Machine,
  results: readonly ScenarioResult[],
): string {
  const dir = join(packageRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const { workDir: _, ...shown } = options;
  const body = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command,
    options: shown,
    machine,
    scenarios: results.map((r) => ({ ...r, figures: r.figures.map((f) => ({ ...f, met: met(f) })) })),
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
