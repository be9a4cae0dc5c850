// The string formats of gateway.config.yaml that JSON Schema has no word for: durations, sizes, rates, CIDRs and
// zoned date-times. Each is one entry: the check the validator runs (Ajv `format`), the message and hint a mistake
// gets, and a pattern for editors, which do not know these formats.
import { isIP } from 'node:net';
import { parseDuration, parseRate, parseSize } from '../units.js';

export interface FormatSpec {
  readonly check: (text: string) => boolean;
  /** `{got}` is replaced by the value as written (quoted, cut at 40 characters). */
  readonly message: string;
  readonly hint?: string;
  /** What editors check instead (yaml-language-server ignores unknown formats). */
  readonly pattern: string;
}

/** An address, optionally with a prefix length: 10.0.0.0/8, 127.0.0.1, ::1. */
export function isCidr(text: string): boolean {
  const [address, prefix, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const ZONED_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An expiry as an ISO 8601 date-time with a zone (`2027-01-31T18:00:00Z`); milliseconds since the epoch. */
export function parseExpiry(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ZONED_DATE_TIME.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

const UNIT = '(ms|s|m|min|h|d)';

export const FORMATS = {
  duration: {
    check: (text) => parseDuration(text) !== undefined,
    message: 'expected a duration, got {got}',
    hint: 'write it with a unit: 250ms, 5s, 1m',
    pattern: `^\\s*\\d+(\\.\\d+)?\\s*${UNIT}\\s*$`,
  },
  size: {
    check: (text) => parseSize(text) !== undefined,
    message: 'expected a size, got {got}',
    hint: 'write it with a unit: 512kb, 10mb',
    pattern: '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG][bB])\\s*$',
  },
  rate: {
    check: (text) => parseRate(text) !== undefined,
    message: 'expected a rate, got {got}',
    hint: 'write it as 100/s, 10/min or 5/30s',
    pattern: `^\\s*\\d+\\s*/\\s*(\\d+(\\.\\d+)?\\s*${UNIT}|s|sec|second|m|min|minute|h|hour|d|day)\\s*$`,
  },
  cidr: {
    check: isCidr,
    message: '{got} is not an IP address or CIDR',
    hint: 'e.g. 10.0.0.0/8 or 127.0.0.1; trusting every peer is not offered',
    pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?$',
  },
  'zoned-date-time': {
    check: (text) => parseExpiry(text) !== undefined,
    message: 'expected a date-time with a zone',
    hint: 'e.g. 2027-01-31T18:00:00Z',
    pattern: ZONED_DATE_TIME.source,
  },
} satisfies Record<string, FormatSpec>;

export type FormatName = keyof typeof FORMATS;

/** The formats as Ajv takes them, by name: for the Ajv set-up and for the config validator compiled ahead of time. */
export const AJV_FORMATS = Object.fromEntries(Object.entries(FORMATS).map(([name, spec]) => [name, { type: 'string' as const, validate: spec.check }]));
