// Durations, rates and sizes written the way people write them: `5s`, `250ms`, `100/s`, `5/min`, `10mb`.

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const RATE_UNITS: Readonly<Record<string, number>> = {
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};
const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Milliseconds. */
export type Milliseconds = number;

export interface Rate {
  readonly limit: number;
  readonly windowMs: Milliseconds;
}

/**
 * @example parseDuration('250ms') === 250; parseDuration('1.5s') === 1500; parseDuration('5') === undefined
 */
export function parseDuration(text: string): Milliseconds | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

/**
 * @example parseRate('100/s') → { limit: 100, windowMs: 1000 }; parseRate('5/min'); parseRate('10/30s')
 */
export function parseRate(text: string): Rate | undefined {
  const match = /^(\d+)\s*\/\s*(?:(\d+(?:\.\d+)?\s*(?:ms|s|m|min|h|d))|(s|sec|second|m|min|minute|h|hour|d|day))$/.exec(text.trim());
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowMs = match[2] !== undefined ? parseDuration(match[2]) : RATE_UNITS[match[3]!];
  if (windowMs === undefined || windowMs <= 0 || limit <= 0) return undefined;
  return { limit, windowMs };
}

/** @example parseSize('10mb') === 10485760; parseSize('512kb') === 524288 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/i.exec(text.trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}
