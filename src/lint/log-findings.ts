// Lint at start and reload: the config-only rules, each finding one warning line (level 40). The store's policy is
// left to `permgate lint`, since reading it means listing every subject. A finding, or a failure of lint itself,
// never stops a start or a reload.
import type { LoadedConfig } from '../config/load.js';
import type { FindingPlace } from './finding.js';
import { lintConfig } from './lint.js';

interface WarnLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

function whereOf(place: FindingPlace): string {
  return place.kind === 'config' ? `${place.file}:${place.line} ${place.keyPath}` : `store ${place.record}`;
}

export function logLintFindings(loaded: LoadedConfig, log: WarnLog): void {
  try {
    for (const finding of lintConfig(loaded)) {
      log.warn({ rule: finding.rule, severity: finding.severity, where: whereOf(finding.place) }, `lint: ${finding.message}`);
    }
  } catch (err) {
    log.warn({ reason: (err as Error).message }, 'lint failed; the config is served as loaded');
  }
}
