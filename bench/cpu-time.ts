// CPU time spent by a process, read from /proc (Linux). CPU per request is far steadier than req/s on a 2-core
// machine where the load generator, the origin and the proxy compete for the cores.
import { readFile } from 'node:fs/promises';

/** User + system CPU time the process has used so far, in microseconds; undefined off Linux or once it has gone. */
export async function cpuMicros(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are space-separated.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime: fields 14 and 15 of stat
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / 100 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** The direct children of a process (e.g. nginx's worker, which does the proxying, under its master). */
export async function childPids(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every process under `pid`, itself first (a permgate primary and its workers; nginx's master and its workers). */
export async function processTree(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(await childPids(tree[i])));
  return tree;
}

/**
 * The sum of the readings, or undefined when any is missing: a process tree's CPU with one member unreadable would be
 * an undercount that looks like a saving.
 * @example sumReadings([120, 30]) // 150
 * @example sumReadings([120, undefined]) // undefined
 */
export function sumReadings(readings: readonly (number | undefined)[]): number | undefined {
  let sum = 0;
  for (const reading of readings) {
    if (reading === undefined) return undefined;
    sum += reading;
  }
  return sum;
}

/** CPU time used so far by `pid` and every process under it, in microseconds. */
export async function treeCpuMicros(pid: number | undefined): Promise<number | undefined> {
  const tree = await processTree(pid);
  if (tree.length === 0) return undefined;
  return sumReadings(await Promise.all(tree.map((member) => cpuMicros(member))));
}
