// `breaker` on an upstream or a route, and a route's `fallback`.
import type { BreakerConfig, FallbackConfig } from './resilience-types.js';
import type { Checker } from './checker.js';

type KeyPath = readonly (string | number)[];

export const BREAKER_DEFAULTS = { failureRate: 50, minRequests: 20, window: 10_000, openFor: 10_000 } as const;

/** `5xx`, or a status such as 503, or a range 502-504. */
function statuses(c: Checker, path: KeyPath, value: unknown): Set<number> {
  const out = new Set<number>();
  const list = value === undefined ? ['5xx'] : c.list(path, value) ?? [];
  list.forEach((entry, i) => {
    const text = String(entry);
    const range = /^(\d{3})-(\d{3})$/.exec(text);
    if (text === '5xx') for (let s = 500; s <= 599; s++) out.add(s);
    else if (/^5\d\d$/.test(text)) out.add(Number(text));
    else if (range && /^5/.test(range[1]!) && /^5/.test(range[2]!) && Number(range[1]) <= Number(range[2])) {
      for (let s = Number(range[1]); s <= Number(range[2]); s++) out.add(s);
    } else c.fail([...path, i], `expected 5xx, a 5xx status or a range of them, got ${JSON.stringify(entry)}`, '4xx never trips a breaker: it is the client\'s fault, not the upstream\'s');
  });
  return out;
}

/** `off`, or a mapping (every key optional). Returns undefined for `off`. */
export function checkBreaker(c: Checker, path: KeyPath, value: unknown): BreakerConfig | undefined {
  if (value === 'off' || value === false) return undefined;
  const b = c.object(path, value ?? {}, ['failureRate', 'minRequests', 'window', 'openFor', 'timeout', 'failOn']);
  if (!b) return undefined;
  let failureRate: number | undefined = BREAKER_DEFAULTS.failureRate;
  if (b.failureRate !== undefined) {
    const match = /^(\d{1,3})%?$/.exec(String(b.failureRate).trim());
    failureRate = match && Number(match[1]) >= 1 && Number(match[1]) <= 100 ? Number(match[1]) : c.fail([...path, 'failureRate'], 'expected a percentage from 1% to 100%', 'e.g. 50%');
  }
  return {
    failureRate: failureRate!,
    minRequests: c.integer([...path, 'minRequests'], b.minRequests, 1, 1_000_000, BREAKER_DEFAULTS.minRequests)!,
    window: c.duration([...path, 'window'], b.window, BREAKER_DEFAULTS.window)!,
    openFor: c.duration([...path, 'openFor'], b.openFor, BREAKER_DEFAULTS.openFor)!,
    timeout: b.timeout === undefined ? undefined : c.duration([...path, 'timeout'], b.timeout, 0),
    failOn: statuses(c, [...path, 'failOn'], b.failOn),
  };
}

/** `reject` (503), `{ static: { status, body, contentType } }` or `{ lastGood: { maxAge, maxEntries, maxBodySize } }`. */
export function checkFallback(c: Checker, path: KeyPath, value: unknown): FallbackConfig {
  if (value === undefined || value === 'reject') return { kind: 'reject' };
  const f = c.object(path, value, ['static', 'lastGood']);
  if (!f) return { kind: 'reject' };
  if ((f.static === undefined) === (f.lastGood === undefined)) {
    c.fail(path, 'give exactly one of static or lastGood', 'or write `fallback: reject` for a plain 503');
    return { kind: 'reject' };
  }
  if (f.static !== undefined) {
    const s = c.object([...path, 'static'], f.static, ['status', 'body', 'contentType']) ?? {};
    return {
      kind: 'static',
      status: c.integer([...path, 'static', 'status'], s.status, 200, 599, 503)!,
      body: typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? {}),
      contentType: c.string([...path, 'static', 'contentType'], s.contentType, { fallback: typeof s.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' })!,
    };
  }
  const l = c.object([...path, 'lastGood'], f.lastGood ?? {}, ['maxAge', 'maxEntries', 'maxBodySize']) ?? {};
  return {
    kind: 'lastGood',
    maxAge: c.duration([...path, 'lastGood', 'maxAge'], l.maxAge, 5 * 60_000)!,
    maxEntries: c.integer([...path, 'lastGood', 'maxEntries'], l.maxEntries, 1, 1_000_000, 1_000)!,
    maxBodySize: c.size([...path, 'lastGood', 'maxBodySize'], l.maxBodySize, 256 * 1024)!,
  };
}
