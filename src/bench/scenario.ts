import type { Progress } from './progress.js';
import { sleep } from './stats.js';

/** How a run was asked for (`run.ts` parses the command line into this). */
export interface BenchOptions {
  quick: boolean;
  /** Engine of the SQLite-by-default scenarios: undefined for SQLite, or a postgres:// URL. */
  database?: string;
  /** The PostgreSQL the baseline and scale-out scenarios use. */
  postgres: string;
  /** A temporary folder for SQLite files, removed at the end. */
  workDir: string;
  /** `--set` settings every serve process gets (none by default: the defaults are measured). */
  serveSettings: Record<string, string>;
}

/** A target from issue 7, checked against a figure. */
export interface Target {
  op: '>=' | '<=';
  value: number;
  /** As the table shows it, e.g. "≥ 50% of ceiling". */
  text: string;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: Target;
  /** How it was measured (medians of what), for the table and BENCHMARKS.md. */
  note?: string;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  figures: Figure[];
  /** Set when the scenario could not run here, with the reason. */
  skipped?: string;
  /** Everything measured, for the JSON file: windows, settings, RSS. */
  details: Record<string, unknown>;
  /** How long the scenario took, set by the runner. */
  seconds?: number;
  /**
   * The machine's 1-minute load average when the scenario started and ended, set by the runner
   * (it counts the benchmark's own processes: about 2 while a scenario saturates both cores).
   */
  load?: { start: number; end: number };
}

/** What a scenario gets: the options and the results of the scenarios run before it. */
export interface ScenarioContext {
  options: BenchOptions;
  earlier: Map<string, ScenarioResult>;
  progress: Progress;
}

export interface Scenario {
  name: string;
  title: string;
  /** Scenarios whose figures this one needs (run first when only this one is asked for). */
  needs?: string[];
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export function met(figure: Figure): boolean | undefined {
  if (!figure.target || !Number.isFinite(figure.value)) return undefined;
  return figure.target.op === '>=' ? figure.value >= figure.target.value : figure.value <= figure.target.value;
}

/**
 * Rates of a growing counter over `windows` consecutive windows of `windowMs`: reads
 * `counter()` (a count and the time it was taken, ms) at each boundary. Returns per-second rates.
 */
export async function windowRates(
  windows: number,
  windowMs: number,
  counter: () => Promise<{ count: number; at: number }>,
  onWindow?: (rate: number, index: number) => void,
): Promise<number[]> {
  const rates: number[] = [];
  let last = await counter();
  for (let i = 0; i < windows; i++) {
    await sleep(windowMs);
    const now = await counter();
    const rate = ((now.count - last.count) * 1000) / (now.at - last.at);
    rates.push(rate);
    onWindow?.(rate, i);
    last = now;
  }
  return rates;
}

/** A figure's value rounded for the JSON file and the table. */
export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
