// permgate diff over routes: added, removed, re-coded per method, re-limited, other settings; a parameter renamed in
// the path and its codes together is no change; the same file twice is no change at all.
import t from 'tap';
import { diffConfigs } from '../../src/diff/config-diff.js';
import { sideOfConfig } from '../../src/diff/policy-side.js';
import { diffText } from '../../src/diff/diff-text.js';
import { parseConfig } from '../../src/config/load.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function loadYaml(body: string) {
  return parseConfig(`store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n  other: { url: "http://127.0.0.1:9002" }\n${body}`, 'diff.yaml', {});
}

function diffOf(before: string, after: string) {
  const a = loadYaml(before);
  const b = loadYaml(after);
  return diffConfigs({ label: 'old.yaml', loaded: a, policy: sideOfConfig(a) }, { label: 'new.yaml', loaded: b, policy: sideOfConfig(b) }, NOW);
}

const base = `routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /orders/**, upstream: svc, permission: { GET: order:read, POST: order:write, DELETE: order:delete } }
  - path: "/channels/:channelId/delete"
    upstream: svc
    methods: [POST]
    permission: "channel:delete:{channelId}"
    rateLimit: { user+route: 5/min }
  - { path: /legacy/**, upstream: svc, permission: legacy:use }
`;

t.test('the same config on both sides: no changes, and the text says so', async (t) => {
  const diff = diffOf(base, base);
  t.equal(diff.changes, 0);
  t.same(diff.routes, { added: [], removed: [], changed: [] });
  t.match(diffText(diff), /\nno changes$/);
});

t.test('a route added and a route removed are listed with what each method requires', async (t) => {
  const after = base.replace('  - { path: /legacy/**, upstream: svc, permission: legacy:use }\n', '  - { path: /reports/:id, upstream: svc, methods: [GET], permission: "report:read:{id}" }\n');
  const diff = diffOf(base, after);
  t.same(diff.routes!.added, [{ pattern: '/reports/:id', methods: { GET: 'report:read:{id}' } }]);
  t.equal(diff.routes!.removed.length, 1);
  t.match(diff.routes!.removed[0], { pattern: '/legacy/**', methods: { GET: 'legacy:use', POST: 'legacy:use', DELETE: 'legacy:use' } });
  t.same(diff.routes!.changed, []);
  const text = diffText(diff);
  t.match(text, /^ {2}\+ \/reports\/:id {2}GET report:read:\{id\}$/m);
  t.match(text, /^ {2}- \/legacy\/\*\* {2}GET legacy:use/m);
});

t.test('a route re-coded: only the method whose code changed, and a method added and one removed', async (t) => {
  const after = base.replace('{ GET: order:read, POST: order:write, DELETE: order:delete }', '{ GET: order:read, POST: order:create, PATCH: order:write }');
  const diff = diffOf(base, after);
  t.same(diff.routes!.changed, [
    {
      pattern: '/orders/**',
      was: undefined,
      methods: [
        { method: 'POST', before: 'order:write', after: 'order:create' },
        { method: 'PATCH', before: undefined, after: 'order:write' },
        { method: 'DELETE', before: 'order:delete', after: undefined },
      ],
      rateLimit: undefined,
      settings: [],
    },
  ]);
  const text = diffText(diff);
  t.match(text, /~ \/orders\/\*\*\n {6}~ POST order:write → order:create\n {6}\+ PATCH order:write\n {6}- DELETE order:delete/);
});

t.test('a route made public, and one whose all-of requirement becomes any-of, are re-coded', async (t) => {
  const after = base
    .replace('{ path: /legacy/**, upstream: svc, permission: legacy:use }', '{ path: /legacy/**, upstream: svc, auth: none }')
    .replace('permission: "channel:delete:{channelId}"', 'permission: { any: ["channel:delete:{channelId}", "channel:admin"] }');
  const diff = diffOf(base, after);
  const legacy = diff.routes!.changed.find((r) => r.pattern === '/legacy/**')!;
  t.equal(legacy.methods.length, 6, 'every method it accepts (HEAD goes with GET)');
  t.same(legacy.methods[0], { method: 'GET', before: 'legacy:use', after: '(public)' });
  t.same(legacy.settings, [{ key: 'auth', before: 'required', after: 'none' }]);
  const channels = diff.routes!.changed.find((r) => r.pattern === '/channels/:channelId/delete')!;
  t.same(channels.methods, [{ method: 'POST', before: 'channel:delete:{channelId}', after: 'channel:delete:{channelId}|channel:admin' }]);
});

t.test('a parameter renamed in the path and in its code together changes no code; the new pattern is named with the old', async (t) => {
  const after = base.replace('"/channels/:channelId/delete"', '"/channels/:id/delete"').replace('"channel:delete:{channelId}"', '"channel:delete:{id}"');
  const diff = diffOf(base, after);
  t.same(diff.routes!.changed, [{ pattern: '/channels/:id/delete', was: '/channels/:channelId/delete', methods: [], rateLimit: undefined, settings: [] }]);
  t.same(diff.routes!.added, []);
  t.same(diff.routes!.removed, []);
  t.same(diff.access, [], 'nobody gains or loses anything by a rename');
});

t.test('re-limited: a route rate limit changed, added or turned off; a default changed is listed once', async (t) => {
  const before = `rateLimits: { user: 50/s, ip: 100/s }\n${base}`;
  const after = `rateLimits: { user: 20/s, ip: 100/s, exempt: { roles: [service] } }\n${base}`
    .replace('rateLimit: { user+route: 5/min }', 'rateLimit: { user+route: 10/30s, ip: off }')
    .replace('{ path: /legacy/**, upstream: svc, permission: legacy:use }', '{ path: /legacy/**, upstream: svc, permission: legacy:use, rateLimit: off }');
  const diff = diffOf(before, after);
  t.same(diff.rateLimits, [
    { key: 'user', before: '50/s', after: '20/s' },
    { key: 'exemptRoles', before: '(none)', after: 'service' },
  ]);
  const channels = diff.routes!.changed.find((r) => r.pattern === '/channels/:channelId/delete')!;
  t.same(channels.rateLimit, { key: 'rateLimit', before: 'user+route=5/min (over defaults)', after: 'ip=off, user+route=10/30s (over defaults)' });
  const legacy = diff.routes!.changed.find((r) => r.pattern === '/legacy/**')!;
  t.same(legacy.rateLimit, { key: 'rateLimit', before: 'defaults', after: 'off' });
  t.equal(diff.routes!.changed.length, 2, 'routes on the defaults are not each listed for a default change');
});

t.test('other settings: sensitive, upstream, tenantParam, params and bodyLimit are each named with before and after', async (t) => {
  const before = base;
  const after = before.replace(
    `    rateLimit: { user+route: 5/min }\n`,
    `    rateLimit: { user+route: 5/min }\n    sensitive: true\n    tenantParam: channelId\n    params: { channelId: "[0-9]+" }\n    bodyLimit: 1kb\n`,
  ).replace('{ path: /legacy/**, upstream: svc,', '{ path: /legacy/**, upstream: other,');
  const diff = diffOf(before, after);
  const channels = diff.routes!.changed.find((r) => r.pattern === '/channels/:channelId/delete')!;
  t.same(channels.methods, []);
  t.same(channels.settings.map((s) => s.key).sort(), ['bodyLimit', 'params', 'sensitive', 'tenantParam']);
  t.match(channels.settings.find((s) => s.key === 'tenantParam'), { before: '(unset)', after: ':channelId' });
  t.match(channels.settings.find((s) => s.key === 'params'), { before: '{}', after: '{"channelId":"^(?:[0-9]+)$"}' });
  const legacy = diff.routes!.changed.find((r) => r.pattern === '/legacy/**')!;
  t.match(legacy.settings, [{ key: 'upstream', before: /^svc /, after: /^other / }]);
});
