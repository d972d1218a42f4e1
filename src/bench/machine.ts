import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { packageRoot } from '../util/packageRoot.js';

/** The machine a run measured, for the JSON file and BENCHMARKS.md. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
  commit: string | null;
  /** 1-minute load average when the run started: above ~0.5 other work shares the cores. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return {
    cores: availableParallelism(),
    cpu,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    commit,
    loadAverage: loadAverage(),
  };
}

/** The 1-minute load average, to two decimals. */
export function loadAverage(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}
