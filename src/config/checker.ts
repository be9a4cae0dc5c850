// What the semantic checks (validate*.ts) report with: every problem (file:line:col, key path, message, hint)
// collected instead of stopping at the first. Types, ranges, unknown keys and defaults are the schema's business
// (schema/); these checks read values the schema has already checked, so a value of the wrong kind, which the
// schema reported, is passed over here in silence rather than reported twice.
import { formatKeyPath, type ConfigIssue } from './config-error.js';
import type { SourceLocation } from './types.js';
import { parseDuration, parseRate, parseSize, type Milliseconds, type Rate } from './units.js';

export type KeyPath = readonly (string | number)[];
export type Plain = Record<string, unknown>;

/** Maps a key path to where it stands in the file; `key: true` points at the key rather than its value. */
export type Locate = (path: KeyPath, options?: { key?: boolean }) => SourceLocation;

export class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(readonly locate: Locate) {}

  fail(path: KeyPath, message: string, hint?: string, key = false): undefined {
    this.issues.push({ location: this.locate(path, { key }), keyPath: formatKeyPath(path), message, hint });
    return undefined;
  }
}

/** A duration the schema accepted (`5s`), in milliseconds; undefined for a value it refused. */
export function ms(value: unknown): Milliseconds | undefined {
  return typeof value === 'string' ? parseDuration(value) : undefined;
}

/** A size the schema accepted (`10mb`), in bytes. */
export function bytes(value: unknown): number | undefined {
  return typeof value === 'string' ? parseSize(value) : undefined;
}

/** A rate the schema accepted (`100/s`). */
export function rateOf(value: unknown): Rate | undefined {
  return typeof value === 'string' ? parseRate(value) : undefined;
}

/** A list of strings the schema accepted; entries of another kind (reported by the schema) are left out. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return String(value);
}
