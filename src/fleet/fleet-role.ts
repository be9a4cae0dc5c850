// Which part of a fleet this process plays (issue 12): a worker (forked by node:cluster), the primary of `workers`
// processes, or, with `server.workers: 1`, no fleet at all (today's single process, no primary).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { LoadedConfig } from '../config/load.js';

/** True in a process a fleet primary forked: it takes its config from the primary, not from the file. */
export const isFleetWorker = (): boolean => cluster.isWorker;

/** How many worker processes the config asks for (`auto`: one per available core). */
export function fleetSize(loaded: LoadedConfig): number {
  const { workers } = loaded.config.server;
  return workers === 'auto' ? availableParallelism() : workers;
}
