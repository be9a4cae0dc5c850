// `server.paths` and `server.logs`: how request paths are canonicalized for the backends behind, and how refusal log
// lines are bounded (issue 10).
import type { Checker } from './checker.js';
import type { ServerDocument } from './schema/server-schema.js';
import type { LogsConfig, PathsConfig } from './types.js';

/**
 * `windows` defaults to `caseInsensitive`, and `windows: true` folds case too (IIS does): the two may only be set
 * apart as `caseInsensitive: true, windows: false`, for a case-folding backend that is not IIS. Neither has a
 * default of its own in the schema, since each defaults to the other.
 */
export function checkPaths(c: Checker, paths: NonNullable<ServerDocument['paths']>): PathsConfig {
  const windowsSet = paths.windows === true;
  const caseInsensitive = typeof paths.caseInsensitive === 'boolean' ? paths.caseInsensitive : windowsSet;
  const windows = paths.windows === undefined ? caseInsensitive : windowsSet;
  if (windows && !caseInsensitive) {
    c.fail(['server', 'paths', 'caseInsensitive'], 'IIS folds case, so windows: true needs case-insensitive paths', 'leave caseInsensitive out, or set it true');
  }
  return { caseInsensitive, windows };
}

export function checkLogs(logs: NonNullable<ServerDocument['logs']>): LogsConfig {
  return { refusalsPerSecond: logs.refusalsPerSecond!, fieldLength: logs.fieldLength! };
}
