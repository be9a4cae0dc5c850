// A refused flood is not a log flood (issue 10 §1): refusal lines carry client-controlled fields cut to
// server.logs.fieldLength, at most server.logs.refusalsPerSecond of them are written per second (5xx lines on a budget
// of their own), and what is left out is summed up once a second. The real logger's output is captured while 8 KB
// paths are sent over real sockets; the gateway's clock is injected.
import { Writable } from 'node:stream';
import t from 'tap';
import { boundedField } from '../../src/observability/refusal-log.js';
import { startGateway } from '../helpers/gateway-under-test.js';
import { rawGet } from '../helpers/raw-http.js';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function capture(): { stream: Writable; lines: Line[]; bytes: () => number } {
  const lines: Line[] = [];
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text === '') continue;
        bytes += text.length;
        lines.push(JSON.parse(text) as Line);
      }
      callback();
    },
  });
  return { stream, lines, bytes: () => bytes };
}

const LONG = '/api/' + 'x'.repeat(8_000);

t.test('a flood of refused 8 KB paths writes ten short lines a second, and one line saying how many were left out', async (t) => {
  let nowMs = 1_800_000_000_000;
  const log = capture();
  const gw = await startGateway(
    `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
auth:
  jwt: { algorithms: [HS256], issuer: i, audience: a, secret: "a-test-secret-that-is-at-least-32-bytes-long!" }
upstreams: { svc: { url: "http://127.0.0.1:1" } }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`,
    {},
    { logger: { level: 'info', stream: log.stream }, now: () => nowMs },
  );
  t.teardown(() => gw.close());

  const statuses = await Promise.all(Array.from({ length: 60 }, () => rawGet(gw.port, LONG).then((r) => r.status)));
  t.same(new Set(statuses), new Set([401]), 'every request was refused');
  const refused = log.lines.filter((l) => l.msg === 'request refused');
  t.equal(refused.length, 10, 'ten refusal lines in the first second, not sixty');
  for (const line of refused) {
    t.equal(line.path, `${LONG.slice(0, 256)}…[+${LONG.length - 256} chars]`, 'the path is cut to 256 characters, with a marker');
    t.ok(JSON.stringify(line).length < 1_000, 'the line stays short');
  }
  t.ok(log.bytes() < 20_000, `${log.bytes()} bytes of log for 60 refusals of 8 KB paths`);

  nowMs += 1_000; // the next second: the summary comes with its first refusal
  t.equal((await rawGet(gw.port, '/api/x')).status, 401);
  const summary = log.lines.find((l) => l.msg === '50 similar refusals suppressed');
  t.ok(summary, 'the fifty lines left out are counted');
  t.same(summary?.codes, { PG_TOKEN_MISSING: 50 }, 'by reason code');
  t.equal(log.lines.at(-1)?.msg, 'request refused', 'and the new second writes lines again');
});

t.test("the gateway's own failures (5xx) are sampled on a budget of their own, so a 4xx flood never hides them", async (t) => {
  const nowMs = 1_800_000_000_000;
  const log = capture();
  const gw = await startGateway(
    `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  logs: { refusalsPerSecond: 3, fieldLength: 64 }
upstreams: { down: { url: "http://127.0.0.1:1" } }
routes:
  - { path: /down/**, upstream: down, auth: none }
`,
    {},
    { logger: { level: 'info', stream: log.stream }, now: () => nowMs },
  );
  t.teardown(() => gw.close());
  for (let i = 0; i < 10; i++) t.equal((await rawGet(gw.port, `/nowhere/${'y'.repeat(2_000)}`)).status, 404);
  for (let i = 0; i < 6; i++) t.ok((await rawGet(gw.port, `/down/${'z'.repeat(2_000)}`)).status >= 500);
  const refused = log.lines.filter((l) => l.msg === 'request refused');
  const failed = log.lines.filter((l) => l.msg === 'request failed');
  t.equal(refused.length, 3, 'three 404 lines (the configured rate)');
  t.equal(failed.length, 3, 'and three 5xx lines, though the 404s came first');
  t.ok(failed.every((l) => typeof l.path === 'string' && l.path.length < 64 + 20), 'fields cut to the configured 64 characters');
});

t.test('boundedField leaves short values alone and marks what it cuts', async (t) => {
  t.equal(boundedField('/short', 256), '/short');
  t.equal(boundedField(undefined, 256), undefined);
  t.equal(boundedField('/a'.repeat(300), 8), '/a/a/a/a…[+592 chars]');
});
