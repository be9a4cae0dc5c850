// The checker every config section is validated with: typed reads of the parsed YAML that collect every problem
// (file:line:col, key path, message, hint) instead of stopping at the first. Its own file, so the section
// validators (validate-*.ts) and validate.ts, which assembles them, do not import each other.
import { formatKeyPath, type ConfigIssue } from './config-error.js';
import { closest } from './suggest.js';
import type { SourceLocation } from './types.js';
import { parseDuration, parseSize } from './units.js';

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

  /** An object with only known keys. Unknown keys are reported with the closest known one. */
  object(path: KeyPath, value: unknown, known: readonly string[]): Plain | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(path, `expected a mapping (key: value), got ${describe(value)}`);
    }
    const plain = value as Plain;
    for (const key of Object.keys(plain)) {
      if (known.includes(key)) continue;
      const guess = closest(key, known);
      this.fail([...path, key], 'unknown key', guess ? `did you mean "${guess}"?` : `known keys: ${known.join(', ')}`, true);
    }
    return plain;
  }

  string(path: KeyPath, value: unknown, options: { fallback?: string; allowEmpty?: boolean } = {}): string | undefined {
    if (value === undefined || value === null) {
      if (options.fallback !== undefined) return options.fallback;
      return this.fail(path, 'is required');
    }
    if (typeof value !== 'string' && typeof value !== 'number') return this.fail(path, `expected a string, got ${describe(value)}`);
    const text = String(value);
    if (text === '' && !options.allowEmpty) {
      if (options.fallback !== undefined) return options.fallback;
      return this.fail(path, 'must not be empty');
    }
    return text;
  }

  integer(path: KeyPath, value: unknown, min: number, max: number, fallback?: number): number | undefined {
    if (value === undefined || value === null || value === '') {
      if (fallback !== undefined) return fallback;
      return this.fail(path, 'is required');
    }
    // Values from ${VAR} arrive as strings; a whole-number string is accepted.
    const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) return this.fail(path, `expected a whole number, got ${describe(value)}`);
    if (number < min || number > max) return this.fail(path, `must be between ${min} and ${max}, got ${number}`);
    return number;
  }

  boolean(path: KeyPath, value: unknown, fallback: boolean): boolean | undefined {
    if (value === undefined || value === null || value === '') return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    return this.fail(path, `expected true or false, got ${describe(value)}`);
  }

  duration(path: KeyPath, value: unknown, fallback: number): number | undefined {
    if (value === undefined || value === null || value === '') return fallback;
    const parsed = typeof value === 'string' ? parseDuration(value) : undefined;
    if (parsed === undefined) return this.fail(path, `expected a duration, got ${describe(value)}`, 'write it with a unit: 250ms, 5s, 1m');
    return parsed;
  }

  size(path: KeyPath, value: unknown, fallback: number): number | undefined {
    if (value === undefined || value === null || value === '') return fallback;
    const parsed = typeof value === 'string' ? parseSize(value) : undefined;
    if (parsed === undefined) return this.fail(path, `expected a size, got ${describe(value)}`, 'write it with a unit: 512kb, 10mb');
    return parsed;
  }

  oneOf<T extends string>(path: KeyPath, value: unknown, choices: readonly T[], fallback: T): T | undefined {
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    const guess = typeof value === 'string' ? closest(value, choices) : undefined;
    return this.fail(path, `expected one of ${choices.join(', ')}, got ${describe(value)}`, guess ? `did you mean "${guess}"?` : undefined);
  }

  list(path: KeyPath, value: unknown): unknown[] | undefined {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.fail(path, `expected a list, got ${describe(value)}`);
    return value;
  }
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return String(value);
}
