import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux). */
let ticksPerSecond: number | undefined;

function ticks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system, ms) a process has used so far, all its threads included, from
 * /proc/<pid>/stat; NaN when it is gone or /proc is missing. CPU time per unit of work survives
 * a busy machine far better than a rate does (BENCHMARKS.md, "Two cores on SQLite").
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticks();
  } catch {
    return Number.NaN;
  }
}

/** The summed CPU time (ms) of `pids`; a process that is gone counts 0. */
export function sumCpuMs(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (Number.isFinite(ms)) sum += ms;
  }
  return sum;
}

/** The whole machine's busy CPU time (ms, every core, every process: ours and anyone else's) from /proc/stat. */
export function machineBusyMs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3] - cpu[4];
    return (busy * 1000) / ticks();
  } catch {
    return Number.NaN;
  }
}
