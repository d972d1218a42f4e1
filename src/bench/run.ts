/**
 * `npm run bench [-- --quick] [--scenario <name>]... [--database postgres://…] [--postgres <url>]
 * [--profile <dir>]`: runs the scenarios of issue 7 against real `hearthook serve` processes and
 * real receiver processes on loopback, prints a table of every figure with its target, and
 * writes `bench-results/<timestamp>.json`. BENCHMARKS.md records a full run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage } from './machine.js';
import { Progress } from './progress.js';
import { writeResults } from './results.js';
import type { BenchOptions, Scenario, ScenarioResult } from './scenario.js';
import { backlog } from './scenarios/backlog.js';
import { ceiling } from './scenarios/ceiling.js';
import { endToEnd } from './scenarios/endToEnd.js';
import { ingestOnly } from './scenarios/ingestOnly.js';
import { isolation } from './scenarios/isolation.js';
import { mqttIngest } from './scenarios/mqttIngest.js';
import { noisyCompany } from './scenarios/noisyCompany.js';
import { ordered } from './scenarios/ordered.js';
import { pgBossBaseline } from './scenarios/pgBossBaseline.js';
import { scaleOut } from './scenarios/scaleOut.js';
import { profileServeProcesses, setServeEnvironment } from './serveProcess.js';
import { formatTable } from './table.js';

const SCENARIOS: Scenario[] = [ceiling, endToEnd, ingestOnly, backlog, isolation, noisyCompany, pgBossBaseline, scaleOut, mqttIngest, ordered];
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

const USAGE = `usage: npm run bench -- [options]
  --quick               a short run (under 2 minutes); the default is the fuller run
  --scenario <name>     run only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --database <url>      run the SQLite-by-default scenarios on PostgreSQL (postgres://…)
  --postgres <url>      PostgreSQL for the baseline and scale-out scenarios
                        (default: --database, else $DATABASE_URL, else ${DEFAULT_POSTGRES})
  --profile <dir>       start every hearthook serve with --cpu-prof, profiles written to <dir>
  --set NAME=value      give every hearthook serve this setting (repeatable), e.g.
                        --set HEARTHOOK_CLAIM_BATCH_SIZE=200`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      database: { type: 'string' },
      postgres: { type: 'string' },
      profile: { type: 'string' },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.database && !/^postgres(ql)?:\/\//.test(values.database)) {
    process.stderr.write('--database: give a postgres:// URL (SQLite is the default, in a temporary folder)\n');
    return 2;
  }
  const wanted = values.scenario ?? [];
  const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const selected = selectScenarios(wanted);
  const settings: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf('=');
    if (!pair.startsWith('HEARTHOOK_') || at < 0) {
      process.stderr.write(`--set ${pair}: give HEARTHOOK_NAME=value\n`);
      return 2;
    }
    settings[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'hearthook-bench-'));
  const options: BenchOptions = {
    quick: values.quick ?? false,
    serveSettings: settings,
    database: values.database,
    postgres: values.postgres ?? values.database ?? process.env.DATABASE_URL ?? DEFAULT_POSTGRES,
    workDir,
  };
  if (values.profile) profileServeProcesses(resolve(values.profile));
  setServeEnvironment(settings);
  const startedAt = new Date();
  const machine = describeMachine();
  process.stderr.write(
    `Hearthook benchmark (${options.quick ? 'quick' : 'full'}) on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage}\n`,
  );
  const command = `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const earlier = new Map<string, ScenarioResult>();
  const results: ScenarioResult[] = [];
  let failed = false;
  try {
    for (const scenario of selected) {
      const progress = new Progress(scenario.name);
      progress.update('starting');
      const began = Date.now();
      const loadAtStart = loadAverage();
      let result: ScenarioResult;
      try {
        result = await scenario.run({ options, earlier, progress });
      } catch (err) {
        failed = true;
        result = { scenario: scenario.name, title: scenario.title, figures: [], skipped: `failed: ${(err as Error).message}`, details: {} };
      }
      result.seconds = Math.round((Date.now() - began) / 1000);
      result.load = { start: loadAtStart, end: loadAverage() };
      progress.done(`${result.skipped ?? 'done'} (${result.seconds} s, load ${result.load.start} → ${result.load.end})`);
      earlier.set(scenario.name, result);
      results.push(result);
      // After every scenario, so a run that dies later keeps what it measured.
      writeResults(startedAt, command, options, machine, results);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const file = writeResults(startedAt, command, options, machine, results);
  process.stdout.write(`\n${formatTable(results)}\n\nResults: ${file}\n`);
  return failed ? 1 : 0;
}

/** The scenarios asked for, in order, with the ones they need first; all when none were named. */
function selectScenarios(wanted: readonly string[]): Scenario[] {
  if (wanted.length === 0) return SCENARIOS;
  const names = new Set<string>();
  const add = (name: string) => {
    const scenario = SCENARIOS.find((s) => s.name === name)!;
    for (const need of scenario.needs ?? []) add(need);
    names.add(name);
  };
  for (const name of wanted) add(name);
  return SCENARIOS.filter((s) => names.has(s.name));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
