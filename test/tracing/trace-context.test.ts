// W3C Trace Context as the gateway reads and writes it: a traceparent is taken only when it is exactly valid (lower-case
// hex, non-zero ids, a known shape for version 00, never version ff, one value), and a tracestate only when every
// member is well-formed and there are at most 32.
import t from 'tap';
import { formatTraceparent, parseTraceparent, validTracestate } from '../../src/tracing/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

t.test('a valid traceparent gives its ids and sampled flag', async (t) => {
  t.same(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, sampled: true });
  t.same(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN, sampled: false });
  t.same(parseTraceparent(`00-${TRACE}-${SPAN}-03`), { traceId: TRACE, spanId: SPAN, sampled: true }, 'other flag bits are ignored');
  t.same(parseTraceparent(`01-${TRACE}-${SPAN}-01-more-fields`), { traceId: TRACE, spanId: SPAN, sampled: true }, 'a later version is read by its first four fields');
});

t.test('anything else is no traceparent at all', async (t) => {
  const invalid: (string | string[] | undefined)[] = [
    undefined,
    '',
    [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`],
    `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    ` 00-${TRACE}-${SPAN}-01`,
    `0x-${TRACE}-${SPAN}-01`,
    `01-${TRACE}-${SPAN}-01${'-x'.repeat(300)}`,
  ];
  for (const header of invalid) t.equal(parseTraceparent(header), undefined, JSON.stringify(header));
});

t.test('the gateway writes version 00 with its own span as the parent', async (t) => {
  t.equal(formatTraceparent(TRACE, SPAN, true), `00-${TRACE}-${SPAN}-01`);
  t.equal(formatTraceparent(TRACE, SPAN, false), `00-${TRACE}-${SPAN}-00`);
  t.same(parseTraceparent(formatTraceparent(TRACE, SPAN, true)), { traceId: TRACE, spanId: SPAN, sampled: true }, 'what it writes it reads back');
});

t.test('a tracestate goes on only when every member is well-formed, and there are at most 32', async (t) => {
  t.equal(validTracestate('congo=t61rcWkgMzE'), 'congo=t61rcWkgMzE');
  t.equal(validTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE');
  t.equal(validTracestate('tenant@vendor=x,,a=b'), 'tenant@vendor=x,,a=b', 'a multi-tenant key, and an empty member (allowed)');
  t.equal(validTracestate(['a=1', 'b=2']), 'a=1,b=2', 'repeated headers are one list');
  const members = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
  t.equal(validTracestate(members(32)), members(32));
  for (const bad of [undefined, '', ' , ', 'novalue', 'UPPER=x', 'a=b=c', 'a=', 'a=x y=z', 'a=\u00e9', members(33), `a=${'x'.repeat(9000)}`]) {
    t.equal(validTracestate(bad), undefined, JSON.stringify(bad)?.slice(0, 40));
  }
});
