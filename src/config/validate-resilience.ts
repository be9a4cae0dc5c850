// `breaker` on an upstream or a route, and a route's `fallback`, beyond their schema (schema/route-schema.ts):
// which statuses count as failures, and exactly one kind of fallback.
import { bytes, isPlain, ms, type Checker, type KeyPath } from './checker.js';
import type { BreakerConfig, FallbackConfig } from './resilience-types.js';

/** `5xx`, or a status such as 503, or a range 502-504. */
function statuses(c: Checker, path: KeyPath, value: unknown): Set<number> {
  const out = new Set<number>();
  (Array.isArray(value) ? value : []).forEach((entry, i) => {
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

/** `off`, or a mapping (every key optional, defaults filled by the schema). Returns undefined for `off`. */
export function checkBreaker(c: Checker, path: KeyPath, value: unknown): BreakerConfig | undefined {
  if (!isPlain(value)) return undefined;
  const rate = /^\s*(\d{1,3})%?\s*$/.exec(String(value.failureRate));
  const failureRate = rate && Number(rate[1]) >= 1 && Number(rate[1]) <= 100 ? Number(rate[1]) : c.fail([...path, 'failureRate'], 'expected a percentage from 1% to 100%', 'e.g. 50%');
  return {
    failureRate: failureRate!,
    minRequests: value.minRequests as number,
    window: ms(value.window)!,
    openFor: ms(value.openFor)!,
    timeout: value.timeout === undefined ? undefined : ms(value.timeout),
    failOn: statuses(c, [...path, 'failOn'], value.failOn),
  };
}

/** `reject` (503), `{ static: { status, body, contentType } }` or `{ lastGood: { maxAge, maxEntries, maxBodySize } }`. */
export function checkFallback(c: Checker, path: KeyPath, value: unknown): FallbackConfig {
  if (!isPlain(value)) return { kind: 'reject' };
  if ((value.static === undefined) === (value.lastGood === undefined)) {
    c.fail(path, 'give exactly one of static or lastGood', 'or write `fallback: reject` for a plain 503');
    return { kind: 'reject' };
  }
  if (isPlain(value.static)) {
    const s = value.static;
    return {
      kind: 'static',
      status: s.status as number,
      body: typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? {}),
      contentType: typeof s.contentType === 'string' ? s.contentType : typeof s.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    };
  }
  const l = isPlain(value.lastGood) ? value.lastGood : {};
  return { kind: 'lastGood', maxAge: ms(l.maxAge)!, maxEntries: l.maxEntries as number, maxBodySize: bytes(l.maxBodySize)! };
}
