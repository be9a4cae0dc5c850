// `server.paths` and `server.logs`: how request paths are canonicalized for the backends behind, and how refusal log
// lines are bounded (issue 10).
import type { LogsConfig, PathsConfig } from './types.js';
import type { Checker } from './checker.js';

export const LOGS_DEFAULTS: LogsConfig = { refusalsPerSecond: 10, fieldLength: 256 };

/**
 * `windows` defaults to `caseInsensitive`, and `windows: true` folds case too (IIS does): the two may only be set
 * apart as `caseInsensitive: true, windows: false`, for a case-folding backend that is not IIS.
 */
export function checkPaths(c: Checker, value: unknown): PathsConfig {
  const paths = c.object(['server', 'paths'], value ?? {}, ['caseInsensitive', 'windows']);
  const windowsSet = c.boolean(['server', 'paths', 'windows'], paths?.windows, false);
  const caseInsensitive = c.boolean(['server', 'paths', 'caseInsensitive'], paths?.caseInsensitive, windowsSet ?? false) ?? false;
  const windows = paths?.windows === undefined ? caseInsensitive : (windowsSet ?? false);
  if (windows && !caseInsensitive) {
    c.fail(['server', 'paths', 'caseInsensitive'], 'IIS folds case, so windows: true needs case-insensitive paths', 'leave caseInsensitive out, or set it true');
  }
  return { caseInsensitive, windows };
}

export function checkLogs(c: Checker, value: unknown): LogsConfig {
  const logs = c.object(['server', 'logs'], value ?? {}, ['refusalsPerSecond', 'fieldLength']);
  return {
    refusalsPerSecond: c.integer(['server', 'logs', 'refusalsPerSecond'], logs?.refusalsPerSecond, 0, 1_000_000, LOGS_DEFAULTS.refusalsPerSecond) ?? LOGS_DEFAULTS.refusalsPerSecond,
    fieldLength: c.integer(['server', 'logs', 'fieldLength'], logs?.fieldLength, 16, 65_536, LOGS_DEFAULTS.fieldLength) ?? LOGS_DEFAULTS.fieldLength,
  };
}
