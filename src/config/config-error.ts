// A configuration that cannot run: every problem found, each naming the file, the line, the key path and the fix.
import type { SourceLocation } from './types.js';

export interface ConfigIssue {
  readonly location: SourceLocation;
  /** Key path as written in the file, e.g. `routes[2].upstream`. */
  readonly keyPath: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.location.file}:${issue.location.line}:${issue.location.column}`;
  return `${where}: ${issue.keyPath || '(top level)'}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

export class ConfigError extends Error {
  readonly code = 'PG_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid configuration (${count}):\n` + issues.map((issue) => '  ' + formatIssue(issue)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Turns a key path array into the dotted form used in messages: `routes[2].permission.GET`. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
