// Where a finding stands in the config file: the loader's own key-path locator, so lines agree with ConfigError's.
import type { LoadedConfig } from '../config/load.js';
import type { FindingPlace } from './finding.js';

export function configPlace(loaded: LoadedConfig, path: readonly (string | number)[], keyPath: string): FindingPlace {
  const at = loaded.locate(path);
  return { kind: 'config', file: loaded.config.file, line: at.line, column: at.column, keyPath };
}
