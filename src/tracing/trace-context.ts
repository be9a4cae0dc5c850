// W3C Trace Context (traceparent, tracestate) read strictly and written back. Plain TypeScript: no OpenTelemetry
// import, so the data plane can check a header without loading the SDK. Version 00 only is written; a higher version
// is read by its first four fields, as the spec asks of a reader that does not know it.

/** A valid incoming traceparent, its ids as lower-case hex. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  /** The caller recorded its span: bit 0 of trace-flags. */
  readonly sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO_TRACE = '00000000000000000000000000000000';
const ALL_ZERO_SPAN = '0000000000000000';

/**
 * The traceparent a caller sent, or undefined when it is absent or invalid (then the gateway starts a new trace and
 * the invalid one is not passed on). Several values (a repeated header) are invalid: which one would be meant?
 * @example parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 *   → { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true }
 * @example parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01') → undefined
 */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const m = TRACEPARENT.exec(header);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // ff is forbidden; version 00 has exactly four fields; a later version may add fields after a dash.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ALL_ZERO_TRACE || spanId === ALL_ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/**
 * A traceparent naming `spanId` as the parent of whatever the receiver does.
 * @example formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', false)
 *   → '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'
 */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** list-member: key=value, key lower-case (with an optional tenant@system), value printable ASCII without , and =. */
const MEMBER = /^[a-z0-9][a-z0-9_\-*/]{0,255}(@[a-z][a-z0-9_\-*/]{0,13})?=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The tracestate to pass on with a continued trace: the caller's, when it is well-formed (at most 32 members, each a
 * valid key=value); otherwise none, as the spec allows a participant to drop a tracestate it cannot parse. Repeated
 * headers were joined by Node with ", ", which is how the spec combines them too.
 * @example validTracestate('congo=t61rcWkgMzE, rojo=00f067aa0ba902b7') → 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'
 * @example validTracestate('no value') → undefined
 */
export function validTracestate(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined || text.length > 8192) return undefined;
  let members = 0;
  for (const raw of text.split(',')) {
    const member = raw.trim();
    if (member === '') continue; // empty list members are allowed and ignored
    if (++members > 32 || !MEMBER.test(member)) return undefined;
  }
  return members === 0 ? undefined : text;
}
