// Conditions on grants and bindings (`when`): a daily window in a time zone, weekdays, client networks, token claims
// and path parameters. A condition is compiled once, when the policy is loaded, into a list of small closures; a
// request only runs them when a conditional grant is the one that would allow it. Nothing is interpreted per
// request, and a missing attribute (no client address, no such claim or parameter) makes its condition false.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { readClaim } from '../auth/claims.js';

/** `when` as written in the `rbac` section and the admin API: every key present must hold. */
export interface ConditionSpec {
  /**
   * `HH:MM-HH:MM [IANA zone]`, end exclusive; a window may cross midnight (`22:00-06:00`); `00:00-24:00 ZONE` is the
   * whole day (it gives `days` a zone). Default zone: UTC.
   */
  readonly time?: string | undefined;
  /** Local weekdays (in the `time` zone, else UTC): mon tue wed thu fri sat sun. */
  readonly days?: readonly string[] | undefined;
  /** The resolved client address is in one of these networks (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`). */
  readonly ip?: readonly string[] | undefined;
  /** Token claims (dotted paths): `value` equal, `{ contains: value }` in a list claim, `{ in: [values] }`. */
  readonly claim?: Readonly<Record<string, ClaimTest>> | undefined;
  /** Path parameters that must equal the caller: `subject`, or `claim:NAME`. */
  readonly param?: Readonly<Record<string, string>> | undefined;
}

export type ClaimTest = string | { readonly contains: string } | { readonly in: readonly string[] };

/** What a condition may look at, for one request. */
export interface RequestFacts {
  readonly subject: string;
  /** The client address the gateway resolved (trusted X-Forwarded-For applied); undefined when unknown. */
  readonly address: string | undefined;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** A path parameter of the matched route; undefined when the route has none of that name. */
  param(name: string): string | undefined;
}

/** One key of a condition, as explained: whether it held for the request, and what it asked. */
export interface ConditionCheck {
  readonly key: string;
  readonly held: boolean;
  readonly wants: string;
}

export interface CompiledCondition {
  /** The spec it was compiled from, as given (shown by explanations and the admin API). */
  readonly spec: ConditionSpec;
  test(facts: RequestFacts, now: number): boolean;
  explain(facts: RequestFacts | undefined, now: number): readonly ConditionCheck[];
}

export class ConditionError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConditionError';
  }
}

interface Check {
  readonly key: string;
  readonly wants: string;
  readonly test: (facts: RequestFacts, now: number) => boolean;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)(?:\s+(\S+))?$/;
const MAX_LIST = 256;

/**
 * @throws ConditionError naming the key (`time`, `ip[2]`, `claim.amr`) and what is wrong
 * @example compileCondition({ time: '08:00-20:00 Europe/Berlin', days: ['mon'] }).test(facts, Date.now())
 */
export function compileCondition(spec: ConditionSpec): CompiledCondition {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ConditionError('when', 'a condition is a mapping of time, days, ip, claim, param');
  const checks: Check[] = [];
  for (const key of Object.keys(spec)) {
    if (!['time', 'days', 'ip', 'claim', 'param'].includes(key)) throw new ConditionError(key, `"${key}" is not a condition (time, days, ip, claim, param)`);
  }
  // Checked in the order written, so an explanation reads like the policy; `days` takes the zone of `time`.
  const zone = spec.time !== undefined ? windowZone(spec.time) : 'UTC';
  for (const key of Object.keys(spec)) {
    if (key === 'time' && spec.time !== undefined) timeCheck(spec.time, checks);
    else if (key === 'days' && spec.days !== undefined) daysCheck(spec.days, zone, checks);
    else if (key === 'ip' && spec.ip !== undefined) checks.push(ipCheck(spec.ip));
    else if (key === 'claim' && spec.claim !== undefined) claimChecks(spec.claim, checks);
    else if (key === 'param' && spec.param !== undefined) paramChecks(spec.param, checks);
  }
  if (checks.length === 0) throw new ConditionError('when', 'an empty condition: give at least one of time, days, ip, claim, param');
  return condition(spec, checks);
}

function condition(spec: ConditionSpec, checks: readonly Check[]): CompiledCondition {
  const tests = checks.map((check) => check.test);
  const test =
    tests.length === 1
      ? tests[0]!
      : (facts: RequestFacts, now: number): boolean => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(facts, now)) return false;
          return true;
        };
  return {
    spec,
    test,
    explain: (facts, now) => checks.map((check) => ({ key: check.key, wants: check.wants, held: facts !== undefined && check.test(facts, now) })),
  };
}

// ---- time and days ---------------------------------------------------------------------------------------------

/** The local time of day and weekday in one zone, recomputed once per UTC minute (zone offsets are whole minutes). */
class ZoneClock {
  readonly #format: Intl.DateTimeFormat;
  #minute = NaN;
  #minuteOfDay = 0;
  #weekday = 0;

  constructor(zone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' });
  }

  #at(now: number): void {
    const minute = Math.floor(now / 60_000);
    if (minute === this.#minute) return;
    let hour = 0;
    let min = 0;
    let day = 0;
    for (const part of this.#format.formatToParts(now)) {
      if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') min = Number(part.value);
      else if (part.type === 'weekday') day = DAYS.indexOf(part.value.toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
    }
    this.#minute = minute;
    this.#minuteOfDay = hour * 60 + min;
    this.#weekday = day;
  }

  minuteOfDay(now: number): number {
    this.#at(now);
    return this.#minuteOfDay;
  }

  weekday(now: number): number {
    this.#at(now);
    return this.#weekday;
  }
}

const clocks = new Map<string, ZoneClock>();

function clockOf(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (clock === undefined) clocks.set(zone, (clock = new ZoneClock(zone)));
  return clock;
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone a window is written in (checked in full by timeCheck). */
function windowZone(text: string): string {
  const m = typeof text === 'string' ? WINDOW.exec(text.trim()) : null;
  return m?.[5] !== undefined && knownZone(m[5]) ? m[5] : 'UTC';
}

function timeCheck(text: string, checks: Check[]): void {
  const m = typeof text === 'string' ? WINDOW.exec(text.trim()) : null;
  if (m === null) throw new ConditionError('time', `"${String(text)}" is not a daily window: HH:MM-HH:MM, then an optional IANA zone (08:00-20:00 Europe/Berlin)`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end > 24 * 60) throw new ConditionError('time', `"${text}": a window ends at 24:00 at the latest`);
  // 00:00-24:00 is the whole day: a way to give `days` a zone.
  if (start === end) throw new ConditionError('time', `"${text}" is an empty window`);
  const zone = m[5] ?? 'UTC';
  if (!knownZone(zone)) throw new ConditionError('time', `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  const clock = clockOf(zone);
  const test =
    start < end
      ? (_: RequestFacts, now: number): boolean => {
          const t = clock.minuteOfDay(now);
          return t >= start && t < end;
        }
      : (_: RequestFacts, now: number): boolean => {
          const t = clock.minuteOfDay(now);
          return t >= start || t < end;
        };
  checks.push({ key: 'time', wants: text.trim(), test });
}

function daysCheck(days: readonly string[], zone: string, checks: Check[]): void {
  if (!Array.isArray(days) || days.length === 0) throw new ConditionError('days', 'days is a non-empty list of mon tue wed thu fri sat sun');
  let mask = 0;
  days.forEach((day, i) => {
    const at = typeof day === 'string' ? DAYS.indexOf(day.toLowerCase() as (typeof DAYS)[number]) : -1;
    if (at === -1) throw new ConditionError(`days[${i}]`, `"${String(day)}" is not a day (mon tue wed thu fri sat sun)`);
    mask |= 1 << at;
  });
  const clock = clockOf(zone);
  checks.push({ key: 'days', wants: `${days.join(',')} (${zone})`, test: (_, now) => (mask & (1 << clock.weekday(now))) !== 0 });
}

// ---- client networks -------------------------------------------------------------------------------------------

/** IPv4 networks as [network, mask] pairs checked with integer math; IPv6 through node's BlockList. */
function ipCheck(networks: readonly string[]): Check {
  if (!Array.isArray(networks) || networks.length === 0 || networks.length > MAX_LIST) {
    throw new ConditionError('ip', `ip is a list of 1 to ${MAX_LIST} addresses or networks (10.0.0.0/8, 2001:db8::/32)`);
  }
  const v4: number[] = [];
  const v6 = new BlockList();
  let anyV6 = false;
  networks.forEach((network, i) => {
    const [address, prefixText, extra] = typeof network === 'string' ? network.split('/') : [];
    const prefix = prefixText === undefined ? undefined : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (address !== undefined && extra === undefined && isIPv4(address) && (prefix === undefined || prefix <= 32)) {
      const bits = prefix ?? 32;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      v4.push((ipv4Number(address) & mask) >>> 0, mask);
      return;
    }
    if (address !== undefined && extra === undefined && isIPv6(address) && (prefix === undefined || prefix <= 128)) {
      if (prefix === undefined) v6.addAddress(address, 'ipv6');
      else v6.addSubnet(address, prefix, 'ipv6');
      anyV6 = true;
      return;
    }
    throw new ConditionError(`ip[${i}]`, `"${String(network)}" is not an address or network (10.0.0.0/8, 192.0.2.7, 2001:db8::/32)`);
  });
  const test = (facts: RequestFacts): boolean => {
    const address = facts.address;
    if (address === undefined || address === '') return false;
    const n = ipv4Number(address);
    if (n >= 0) {
      for (let i = 0; i < v4.length; i += 2) if (((n & v4[i + 1]!) >>> 0) === v4[i]) return true;
      return false;
    }
    return anyV6 && isIPv6(address) && v6.check(address, 'ipv6');
  };
  return { key: 'ip', wants: networks.join(', '), test };
}

/** A dotted-quad as an unsigned 32-bit number, or -1 when it is not one. */
function ipv4Number(address: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

// ---- claims and path parameters ------------------------------------------------------------------------------

function claimChecks(claims: Readonly<Record<string, ClaimTest>>, checks: Check[]): void {
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims) || Object.keys(claims).length === 0) {
    throw new ConditionError('claim', 'claim is a mapping of claim name to value, { contains: value } or { in: [values] }');
  }
  for (const [name, want] of Object.entries(claims)) {
    const key = `claim.${name}`;
    if (name === '' || name.split('.').some((part) => part === '')) throw new ConditionError(key, `"${name}" is not a claim name (a dotted path such as org.id)`);
    const read = claimReader(name);
    if (typeof want === 'string') {
      checks.push({ key, wants: `= ${want}`, test: (facts) => scalar(read(facts)) === want });
    } else if (isMapping(want) && Object.keys(want).length === 1 && typeof (want as { contains?: unknown }).contains === 'string') {
      const value = (want as { contains: string }).contains;
      checks.push({ key, wants: `contains ${value}`, test: (facts) => contains(read(facts), value) });
    } else if (isMapping(want) && Object.keys(want).length === 1 && isStringList((want as { in?: unknown }).in)) {
      const allowed = new Set((want as { in: readonly string[] }).in);
      checks.push({ key, wants: `in [${[...allowed].join(', ')}]`, test: (facts) => within(read(facts), allowed) });
    } else {
      throw new ConditionError(key, 'a claim test is a value (equal), { contains: value } or { in: [values] }');
    }
  }
}

/** Reads one claim by its dotted path through own properties only (split once, here, not per request). */
function claimReader(name: string): (facts: RequestFacts) => unknown {
  if (!name.includes('.')) {
    return (facts) => {
      const claims = facts.claims;
      return claims !== undefined && Object.hasOwn(claims, name) ? claims[name] : undefined;
    };
  }
  return (facts) => (facts.claims === undefined ? undefined : readClaim(facts.claims, name));
}

/** A string, number or boolean claim as text; anything else (a list, an object, absent) is not a scalar. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A list claim holds the value, or a space-separated string claim (OAuth `scope`) names it. */
function contains(value: unknown, wanted: string): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === wanted || scalar(value[i]) === wanted) return true;
    return false;
  }
  if (typeof value === 'string') return value.split(' ').includes(wanted);
  return false;
}

/** A scalar claim is one of the values, or a list claim holds one of them. */
function within(value: unknown, allowed: ReadonlySet<string>): boolean {
  if (Array.isArray(value)) return value.some((item) => allowed.has(scalar(item) ?? '\u0000'));
  const text = scalar(value);
  return text !== undefined && allowed.has(text);
}

function paramChecks(params: Readonly<Record<string, string>>, checks: Check[]): void {
  if (!isMapping(params) || Object.keys(params).length === 0) throw new ConditionError('param', 'param is a mapping of path parameter to subject or claim:NAME');
  for (const [name, source] of Object.entries(params)) {
    const key = `param.${name}`;
    if (source === 'subject') {
      checks.push({ key, wants: '= subject', test: (facts) => facts.param(name) === facts.subject });
    } else if (typeof source === 'string' && source.startsWith('claim:') && source.length > 6) {
      const claim = source.slice(6);
      checks.push({
        key,
        wants: `= ${source}`,
        test: (facts) => {
          const value = facts.param(name);
          return value !== undefined && facts.claims !== undefined && scalar(readClaim(facts.claims, claim)) === value;
        },
      });
    } else {
      throw new ConditionError(key, `"${String(source)}": a path parameter is compared with subject or claim:NAME`);
    }
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.length > 0 && value.length <= MAX_LIST && value.every((item) => typeof item === 'string');
}

/**
 * Compiled conditions, shared by every grant and binding that writes the same `when` (a policy of a million grants
 * may repeat one office-hours window a hundred thousand times).
 */
export class ConditionCache {
  readonly #compiled = new Map<string, CompiledCondition>();

  /** @throws ConditionError */
  get(spec: ConditionSpec): CompiledCondition {
    const key = JSON.stringify(spec);
    let compiled = this.#compiled.get(key);
    if (compiled === undefined) this.#compiled.set(key, (compiled = compileCondition(spec)));
    return compiled;
  }
}

/** A condition that never holds: what a `when` that cannot be compiled becomes (a store edited by hand). */
export const NEVER: CompiledCondition = Object.freeze({
  spec: {},
  test: () => false,
  explain: () => [{ key: 'when', held: false, wants: 'a condition that could not be read (it never holds)' }],
});

/** Both conditions must hold (a conditional grant of a conditionally bound role); `outer` absent: `inner` alone. */
export function allOf(outer: CompiledCondition | undefined, inner: CompiledCondition): CompiledCondition {
  if (outer === undefined) return inner;
  return {
    spec: { ...outer.spec, ...inner.spec },
    test: (facts, now) => outer.test(facts, now) && inner.test(facts, now),
    explain: (facts, now) => [...outer.explain(facts, now), ...inner.explain(facts, now)],
  };
}
