// A bad configuration never starts the gateway, and each problem names the file, the line, the key path and,
// where it can, the fix.
import t from 'tap';
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';

function issuesOf(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  try {
    parseConfig(text, 'gw.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const base = `upstreams:
  orders: { url: "http://127.0.0.1:9001" }
routes:
`;

t.test('YAML syntax errors point at the line', async (t) => {
  const [issue] = issuesOf('routes: [\n  - a: b\n');
  t.equal(issue!.location.file, 'gw.yaml');
  t.ok(issue!.location.line >= 1);
  t.match(issue!.message, /not valid YAML/);
});

t.test('an unknown key is reported where it stands, with the closest known key', async (t) => {
  const issues = issuesOf(`servr: {}\n${base}  - path: /a\n    upstram: orders\n    auth: none\n`);
  const top = issues.find((i) => i.keyPath === 'servr')!;
  t.match(top, { location: { line: 1, column: 1 }, message: 'unknown key', hint: 'did you mean "server"?' });
  const route = issues.find((i) => i.keyPath === 'routes[0].upstram')!;
  t.match(route, { location: { line: 6, column: 5 }, hint: 'did you mean "upstream"?' });
  t.ok(issues.find((i) => i.keyPath === 'routes[0].upstream' && /is required/.test(i.message)));
});

t.test('wrong types and ranges name the key and what was expected', async (t) => {
  const issues = issuesOf(`server:\n  listen: { port: "eighty" }\n  admin: { port: 70000 }\n${base}  - path: /a\n    upstream: orders\n    auth: none\n    methods: GET\n`);
  t.match(issues.find((i) => i.keyPath === 'server.listen.port'), { location: { line: 2 }, message: /expected a whole number/ });
  t.match(issues.find((i) => i.keyPath === 'server.admin.port'), { location: { line: 3 }, message: /between 0 and 65535/ });
  t.match(issues.find((i) => i.keyPath === 'routes[0].methods'), { message: /expected a list/ });
  const method = issuesOf(`${base}  - path: /a\n    upstream: orders\n    auth: none\n    methods: [GTE]\n`);
  t.match(method, [{ keyPath: 'routes[0].methods[0]', location: { line: 7, column: 15 }, hint: 'did you mean "GET"?' }]);
  t.equal(method.length, 1, 'one mistake, one message');
});

t.test('durations need a unit, and upstream URLs must be plain http(s)', async (t) => {
  const issues = issuesOf(`upstreams:\n  a: { url: "ftp://x", timeout: 5 }\n  b: { url: "http://user:pw@x" }\nroutes:\n  - { path: /a, upstream: b, auth: none }\n`);
  t.match(issues.find((i) => i.keyPath === 'upstreams.a.timeout'), { hint: /unit/ });
  t.match(issues.find((i) => i.keyPath === 'upstreams.a.url'), { message: /http/ });
  t.match(issues.find((i) => i.keyPath === 'upstreams.b.url'), { message: /credentials/ });
  t.notMatch(JSON.stringify(issues), /pw@/, 'a credential in a URL is not echoed');
});

t.test('a route naming an unknown upstream suggests the right one', async (t) => {
  const [issue] = issuesOf(`${base}  - path: /a\n    upstream: order\n    auth: none\n`);
  t.match(issue, { keyPath: 'routes[0].upstream', location: { line: 5, column: 15 }, message: /names no upstream: "order"/, hint: 'did you mean "orders"?' });
});

t.test('a permission template naming a parameter the pattern lacks is refused, with the parameters it has', async (t) => {
  const [issue] = issuesOf(`${base}  - path: /servers/:id/reboot\n    upstream: orders\n    permission: server:reboot:{serverId}\n`);
  t.match(issue, { keyPath: 'routes[0].permission', location: { line: 6, column: 17 }, message: /\{serverId\}/, hint: 'the path has :id' });
});

t.test('malformed codes, public routes with permissions and protected routes without are refused', async (t) => {
  t.match(issuesOf(`${base}  - { path: /a, upstream: orders, permission: "a::b" }\n`)[0], { keyPath: 'routes[0].permission', message: /empty part/ });
  t.match(issuesOf(`${base}  - { path: /a, upstream: orders, permission: "a b" }\n`)[0], { message: /characters/ });
  t.match(issuesOf(`${base}  - { path: /a, upstream: orders }\n`)[0], { keyPath: 'routes[0]', hint: /auth: none/ });
  t.match(issuesOf(`${base}  - { path: /a, upstream: orders, auth: none, permission: x }\n`)[0], { keyPath: 'routes[0].permission' });
});

t.test("per-method permissions must agree with the route's methods", async (t) => {
  const issues = issuesOf(`${base}  - path: /a\n    upstream: orders\n    methods: [GET, PUT]\n    permission: { GET: a:read, DELETE: a:del }\n`);
  t.ok(issues.some((i) => /PUT is accepted but has no permission/.test(i.message)));
  t.ok(issues.some((i) => i.keyPath === 'routes[0].permission.DELETE'));
});

t.test('params must name parameters of the path and be valid regular expressions', async (t) => {
  const issues = issuesOf(`${base}  - path: /c/:id\n    upstream: orders\n    auth: none\n    params: { idd: "[0-9]+", id: "[" }\n`);
  t.ok(issues.some((i) => i.keyPath === 'routes[0].params.idd'));
  t.ok(issues.some((i) => i.keyPath === 'routes[0].params.id' && /regular expression/.test(i.message)));
});

t.test('bad patterns are refused with the reason', async (t) => {
  for (const [pattern, reason] of [
    ['/a/**/b', /last segment/],
    ['/a/b*c', /whole segment/],
    ['/a//b', /empty segment/],
    ['/%61dmin', /canonical/],
    ['/a%2fb', /canonical/],
    ['/a/../b', /dot segments/],
    ['/a/:1x', /parameter name/],
    ['/a/:x/:x', /twice/],
  ] as const) {
    const [issue] = issuesOf(`${base}  - { path: "${pattern}", upstream: orders, auth: none }\n`);
    t.match(issue, { keyPath: 'routes[0].path', message: reason }, pattern);
  }
});

t.test('two routes that match the same requests are refused naming both; disjoint methods are fine', async (t) => {
  const [issue] = issuesOf(`${base}  - { path: /c/:x, upstream: orders, auth: none }\n  - { path: /c/:y, upstream: orders, auth: none }\n`);
  t.match(issue, { keyPath: 'routes[1].path', message: /\/c\/:y and routes\[0\] \(\/c\/:x\) match the same requests/ });
  t.doesNotThrow(() => parseConfig(`${base}  - { path: /c/:x, upstream: orders, auth: none, methods: [GET] }\n  - { path: /c/:y, upstream: orders, auth: none, methods: [POST] }\n`, 'ok.yaml', {}));
});

t.test('rbac: malformed patterns, unknown roles, inheritance cycles and bad expiries name the key', async (t) => {
  const issues = issuesOf(`rbac:
  roles:
    a: { inherits: [b], grants: ["order::read"] }
    b: { inherits: [c] }
    c: { inherits: [a], denies: ["x y"] }
    d: { inherits: [viewr] }
    viewer: { grants: ["*"], grnts: [] }
  subjects:
    alice: { roles: [editor, { role: viewer, expires: tomorrow }], grants: [{ code: "a:*:b,c", tenant: "has space" }] }
${base}  - { path: /a, upstream: orders, auth: none }
`);
  const at = (keyPath: string) => issues.find((i) => i.keyPath === keyPath);
  t.match(at('rbac.roles.a.grants[0]'), { message: /empty part/, location: { line: 3 } });
  t.match(at('rbac.roles.c.denies[0]'), { message: /not a part/ });
  t.match(issues.find((i) => /cycle/.test(i.message)), { message: /a → b → c → a|b → c → a → b|c → a → b → c/ });
  t.match(at('rbac.roles.viewer.grnts'), { hint: 'did you mean "grants"?' });
  t.match(at('rbac.subjects.alice.roles[0]'), { message: 'names no role: "editor"' });
  t.match(at('rbac.subjects.alice.roles[1].expires'), { hint: /2027/ });
  t.match(at('rbac.subjects.alice.grants[0].tenant'), { message: /tenant/ });
  const unknown = issuesOf(`rbac:\n  roles:\n    d: { inherits: [viewr] }\n    viewer: {}\n${base}  - { path: /a, upstream: orders, auth: none }\n`);
  t.match(unknown, [{ keyPath: 'rbac.roles.d.inherits', message: /inherits "viewr", which is not defined/, hint: 'did you mean "viewer"?' }]);
});

t.test('routes: permission forms (all, any, per method) and tenantParam must name a parameter', async (t) => {
  const issues = issuesOf(`${base}  - { path: /a/:t, upstream: orders, permission: { any: [] }, tenantParam: tenant }
  - { path: /b, upstream: orders, permission: { some: [x] } }
`);
  t.match(issues.find((i) => i.keyPath === 'routes[0].permission.any'), { message: 'names no permission code' });
  t.match(issues.find((i) => i.keyPath === 'routes[1].permission.some'), { message: 'unknown key' });
  t.match(issuesOf(`${base}  - { path: /a/:t, upstream: orders, permission: x, tenantParam: tenant }\n`), [{ keyPath: 'routes[0].tenantParam', hint: 'the path needs a :tenant segment' }]);
});

t.test('rate limits: rates must be rates, dimensions must exist', async (t) => {
  const issues = issuesOf(`rateLimits:\n  ip: 100\n  usr: 5/s\n${base}  - { path: /a, upstream: orders, auth: none, rateLimit: { user+rout: 5/min, ip: lots } }\n`);
  t.match(issues.find((i) => i.keyPath === 'rateLimits.ip'), { hint: /100\/s/ });
  t.match(issues.find((i) => i.keyPath === 'rateLimits.usr'), { hint: 'did you mean "user"?' });
  t.match(issues.find((i) => i.keyPath === 'routes[0].rateLimit.user+rout'), { hint: 'did you mean "user+route"?' });
  t.ok(issues.find((i) => i.keyPath === 'routes[0].rateLimit.ip'));
});

t.test('trustProxy takes addresses and CIDRs only', async (t) => {
  const issues = issuesOf(`server:\n  trustProxy: [true, "everything", "10.0.0.0/33", "10.0.0.0/8", "::1"]\n${base}  - { path: /a, upstream: orders, auth: none }\n`);
  t.same(issues.map((i) => i.keyPath).sort(), ['server.trustProxy[0]', 'server.trustProxy[1]', 'server.trustProxy[2]']);
});

t.test('every problem in a file is reported, sorted by line', async (t) => {
  const issues = issuesOf(`servr: {}\n${base}  - { path: /a, upstream: nope, auth: none }\n  - { path: /b, upstream: orders, permission: "x:{y}" }\n`);
  t.ok(issues.length >= 3);
  const lines = issues.map((i) => i.location.line);
  t.same(lines, [...lines].sort((a, b) => a - b));
  t.match(new ConfigError(issues).message, /^invalid configuration \(\d+ problems\):\n {2}gw\.yaml:1:1: servr: unknown key/);
});

t.test('a missing file is named', async (t) => {
  const err = await loadConfig('/nonexistent/gw.yaml').catch((e: unknown) => e);
  t.ok(err instanceof ConfigError);
  t.match((err as ConfigError).issues, [{ location: { file: '/nonexistent/gw.yaml' }, message: 'file not found' }]);
});

t.test('the shipped gateway.config.yaml loads, with the defaults the README promises', async (t) => {
  const { config, routes } = await loadConfig(new URL('../../gateway.config.yaml', import.meta.url).pathname, { PERMGATE_JWT_SECRET: 'x'.repeat(40) });
  t.equal(config.server.admin.host, '127.0.0.1');
  t.equal(config.server.admin.port, 9901);
  t.same(config.server.trustProxy, []);
  t.equal(config.store.redis, undefined, 'embedded store when REDIS_URL is unset');
  t.equal(routes.routes.length, 4);
  t.same(config.auth?.jwt.algorithms, ['HS256']);
  await t.rejects(loadConfig(new URL('../../gateway.config.yaml', import.meta.url).pathname, {}), /PERMGATE_JWT_SECRET is not set/, 'no secret, no start');
});

t.test('a key given twice in one mapping is refused where the second stands, with its key path', async (t) => {
  const [issue] = issuesOf(`${base}  - path: /a\n    upstream: orders\n    auth: none\nrbac:\n  subjects:\n    alice: { roles: [] }\n    bob: { roles: [] }\n    alice: { roles: [admin] }\n`);
  t.match(issue, { location: { file: 'gw.yaml', line: 11, column: 5 }, keyPath: 'rbac.subjects.alice', message: /alice is given twice/ });
  const [inList] = issuesOf(`${base}  - path: /a\n    upstream: orders\n    upstream: other\n    auth: none\n`);
  t.match(inList, { location: { line: 6 }, keyPath: 'routes[0].upstream', message: /given twice/ });
  // The same name in two different mappings is no duplicate.
  t.doesNotThrow(() => parseConfig(`${base}  - path: /a\n    upstream: orders\n    auth: none\n  - path: /b\n    upstream: orders\n    auth: none\n`, 'gw.yaml', {}));
});
