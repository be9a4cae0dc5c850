// Lints YAML text with the real loader: `routes` and `rbac` written by each test, one upstream, the store in memory.
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import type { Finding, LintRule } from '../../src/lint/finding.js';
import { lintConfig } from '../../src/lint/lint.js';

export function loadYaml(body: string): LoadedConfig {
  return parseConfig(`store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n${body}`, 'lint.yaml', {});
}

/** The findings of one rule for this YAML. */
export function findingsOf(rule: LintRule, body: string): Finding[] {
  return lintConfig(loadYaml(body)).filter((finding) => finding.rule === rule);
}
