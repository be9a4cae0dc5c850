// How hard and how long `npm run bench` loads each target: the defaults, and the environment variables that change them.

export interface BenchSettings {
  readonly connections: number;
  readonly pipelining: number;
  /** Length of each measured run. */
  readonly durationSeconds: number;
  /** Unmeasured load before each measured run, so JIT, connection pools and caches are warm when counting starts. */
  readonly warmupSeconds: number;
  /**
   * Every target is measured this many times, in interleaved rounds, and each figure is the median: on two shared
   * cores one run of one target swings by ±25 %, which would otherwise decide the ratios by chance.
   */
  readonly rounds: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${text}"`);
  return value;
}

/**
 * @example readSettings({ BENCH_DURATION: '3' }) // { connections: 50, pipelining: 1, durationSeconds: 3, warmupSeconds: 2, rounds: 3 }
 */
export function readSettings(env: NodeJS.ProcessEnv): BenchSettings {
  return {
    connections: integer(env, 'BENCH_CONNECTIONS', 50, 1),
    pipelining: integer(env, 'BENCH_PIPELINING', 1, 1),
    durationSeconds: integer(env, 'BENCH_DURATION', 10, 1),
    warmupSeconds: integer(env, 'BENCH_WARMUP', 2, 0),
    rounds: integer(env, 'BENCH_ROUNDS', 3, 1),
  };
}
