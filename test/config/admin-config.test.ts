// `server.admin`: a guessable admin token is refused at load (naming file, line and key, never the token), JWT admins
// are an explicit opt-in that needs `auth`, and the failure throttle is a rate like any other.
import t from 'tap';
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { HS_AUTH } from '../helpers/tokens.js';

const doc = (admin: string, auth = HS_AUTH): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: ${admin}
${auth}
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /a, upstream: svc, auth: none }
`;

function issuesOf(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  try {
    parseConfig(text, 'gw.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

t.test('an admin token shorter than 32 bytes is refused, naming file, line and key but not the token', async (t) => {
  const short = 'only-31-bytes-long-xxxxxxxxxxxx';
  t.equal(short.length, 31);
  const issues = issuesOf(doc(`{ port: 0, token: \${ADMIN_TOKEN} }`), { ADMIN_TOKEN: short });
  t.equal(issues.length, 1);
  t.match(issues[0], { location: { file: 'gw.yaml', line: 3 }, keyPath: 'server.admin.token', message: /at least 32 bytes, this one has 31/, hint: /openssl rand/ });
  t.notMatch(JSON.stringify(issues), short, 'the token is not echoed');
  t.same(issuesOf(doc('{ port: 0, token: x }')).map((i) => i.keyPath), ['server.admin.token'], 'one character, too');
  t.same(issuesOf(doc(`{ port: 0, token: "${'k'.repeat(32)}" }`)), [], '32 bytes is enough');
  t.same(issuesOf(doc(`{ port: 0, token: "${'密'.repeat(11)}" }`)), [], 'bytes, not characters: 11 × 3 bytes');
  t.same(issuesOf(doc('{ port: 0, token: "" }')), [], 'empty is allowed: no admin token');
  t.same(issuesOf(doc('{ port: 0, token: ${ADMIN_TOKEN:-} }')), [], 'as the shipped config has it, unset');
});

t.test('JWT admins are off unless written as true, and need an auth section', async (t) => {
  const off = parseConfig(doc('{ port: 0 }'), 'gw.yaml').config.server.admin;
  t.same({ token: off.token, jwt: off.jwt }, { token: '', jwt: false }, 'the defaults: the admin API is off');
  t.equal(parseConfig(doc('{ port: 0, jwt: true }'), 'gw.yaml').config.server.admin.jwt, true);
  t.match(issuesOf(doc('{ port: 0, jwt: true }', '')), [{ keyPath: 'server.admin.jwt', message: /need an `auth` section/ }]);
});

t.test('failureLimit is a rate, 10/min by default', async (t) => {
  t.same(parseConfig(doc('{ port: 0 }'), 'gw.yaml').config.server.admin.failureLimit, { limit: 10, windowMs: 60_000 });
  t.same(parseConfig(doc('{ port: 0, failureLimit: 5/30s }'), 'gw.yaml').config.server.admin.failureLimit, { limit: 5, windowMs: 30_000 });
  t.match(issuesOf(doc('{ port: 0, failureLimit: lots }')), [{ keyPath: 'server.admin.failureLimit', hint: /10\/min/ }]);
  t.match(issuesOf(doc('{ port: 0, failurelimit: 5/min }')), [{ keyPath: 'server.admin.failurelimit', hint: 'did you mean "failureLimit"?' }]);
});

t.test('console is on by default, and can be turned off; it counts as off whenever the admin API is', async (t) => {
  const { consoleEnabled } = await import('../../src/config/admin-types.js');
  const on = parseConfig(doc('{ port: 0, token: an-admin-token-that-is-32-bytes-long!! }'), 'gw.yaml').config.server.admin;
  t.equal(on.console, true);
  t.equal(consoleEnabled(on), true);
  const off = parseConfig(doc('{ port: 0, token: an-admin-token-that-is-32-bytes-long!!, console: false }'), 'gw.yaml').config.server.admin;
  t.equal(consoleEnabled(off), false);
  const noAdmin = parseConfig(doc('{ port: 0 }'), 'gw.yaml').config.server.admin;
  t.equal(noAdmin.console, true, 'asked for');
  t.equal(consoleEnabled(noAdmin), false, 'but the admin API is off, so the console is too');
  t.match(issuesOf(doc('{ port: 0, console: maybe }')), [{ keyPath: 'server.admin.console' }]);
});

t.test('admin tls names certificate files that must read; clientSubject is refused there', async (t) => {
  t.match(issuesOf(doc('{ port: 0, tls: { certs: [{ cert: /nonexistent/c.pem, key: /nonexistent/k.pem }] } }')), [{ keyPath: /^server\.admin\.tls\.certs\[0\]/ }]);
  const issues = issuesOf(doc('{ port: 0, tls: { certs: [{ cert: /nonexistent/c.pem, key: /nonexistent/k.pem }], clientSubject: true } }'));
  t.ok(issues.some((issue) => issue.keyPath === 'server.admin.tls.clientSubject'), 'clientSubject names data-plane callers only');
});
