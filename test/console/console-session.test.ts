// The console's session on the wire: login with the admin token (and a name) or an admin's JWT gives an HttpOnly,
// SameSite=Strict cookie; every change it authenticates needs the session's CSRF token and the listener's own
// origin, refused otherwise with coded errors; logout ends it on the server; failed logins are throttled; and the
// console is off when the admin API is, or when server.admin.console is false.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { consoleGateway, consoleYaml, CONSOLE_ADMIN_TOKEN, login } from '../helpers/console-gateway.js';
import { token } from '../helpers/tokens.js';

type Reply = { status: number; json: Record<string, any>; headers: Headers };

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const res = await fetch(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, any>), headers: res.headers };
}

t.test('logging in with the admin token and a name gives an HttpOnly SameSite=Strict session cookie, not Secure over plain HTTP', async (t) => {
  const { gw } = await consoleGateway(t);
  const { setCookie, csrf } = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN);
  t.match(setCookie, /^permgate_console=[A-Za-z0-9_-]{43}; /);
  t.match(setCookie, /; HttpOnly/);
  t.match(setCookie, /; SameSite=Strict/);
  t.match(setCookie, /; Path=\//);
  t.match(setCookie, /; Max-Age=\d+/);
  t.notMatch(setCookie, /Secure/, 'the admin listener speaks plain HTTP here');
  t.ok(csrf.length >= 40, 'a CSRF token comes with the session');
  const audit = await call(`${gw.adminUrl}/admin/audit?action=console.login`, 'GET', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` });
  t.equal(audit.json.entries[0].actor, 'admin-token:Jane Ops', 'the login is audited under the name given');
});

t.test('the admin token without a name is refused: every change must say who made it', async (t) => {
  const { gw } = await consoleGateway(t);
  const res = await call(`${gw.adminUrl}/console/api/session`, 'POST', { origin: gw.adminUrl }, { credential: CONSOLE_ADMIN_TOKEN });
  t.match(res, { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /name/ } } });
  t.notOk(res.headers.get('set-cookie'));
});

t.test('a change through the session is audited with the person\'s identity: the JWT subject, or the name given with the admin token', async (t) => {
  const { gw } = await consoleGateway(t);
  const jane = await login(gw.adminUrl, await token({ sub: 'jane', scope: undefined }));
  const byJane = await call(`${gw.adminUrl}/admin/rbac/subjects/alice/roles`, 'POST', { cookie: jane.cookie, 'x-csrf-token': jane.csrf, origin: gw.adminUrl }, { role: 'order-admin' });
  t.equal(byJane.status, 201);
  const ops = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN, 'Olu');
  const byOps = await call(`${gw.adminUrl}/admin/revocations`, 'POST', { cookie: ops.cookie, 'x-csrf-token': ops.csrf, origin: gw.adminUrl }, { subject: 'bob' });
  t.equal(byOps.status, 201);
  const trail = await call(`${gw.adminUrl}/admin/audit?kind=change`, 'GET', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` });
  const actions = trail.json.entries.map((e: { actor: string; action: string; target: string }) => `${e.actor} ${e.action} ${e.target}`);
  t.ok(actions.includes('jane rbac.binding.add alice'), 'jane\'s binding carries her subject');
  t.ok(actions.includes('admin-token:Olu revocation.subject bob'), 'the admin token\'s change carries the name given');
});

t.test('a change without the CSRF token, or with another session\'s, is refused with PG_CONSOLE_CSRF and changes nothing', async (t) => {
  const { gw } = await consoleGateway(t);
  const a = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN, 'A');
  const b = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN, 'B');
  const url = `${gw.adminUrl}/admin/rbac/subjects/alice/roles`;
  t.match(await call(url, 'POST', { cookie: a.cookie, origin: gw.adminUrl }, { role: 'order-admin' }), { status: 403, json: { error: { code: 'PG_CONSOLE_CSRF' } } });
  t.match(await call(url, 'POST', { cookie: a.cookie, origin: gw.adminUrl, 'x-csrf-token': b.csrf }, { role: 'order-admin' }), { status: 403, json: { error: { code: 'PG_CONSOLE_CSRF' } } });
  t.match(await call(`${gw.adminUrl}/console/api/session`, 'DELETE', { cookie: a.cookie, origin: gw.adminUrl }), { status: 403, json: { error: { code: 'PG_CONSOLE_CSRF' } } }, 'logout too');
  const alice = await call(`${gw.adminUrl}/admin/rbac/subjects/alice`, 'GET', { cookie: a.cookie });
  t.same(alice.json.dynamic.roles, [], 'nothing was written');
  t.equal((await call(url, 'POST', { cookie: a.cookie, origin: gw.adminUrl, 'x-csrf-token': a.csrf }, { role: 'order-admin' })).status, 201, 'with its own token it goes through');
});

t.test('a request from another origin is refused with PG_CONSOLE_CROSS_ORIGIN, even with the CSRF token', async (t) => {
  const { gw } = await consoleGateway(t);
  const s = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN);
  const url = `${gw.adminUrl}/admin/revocations`;
  const refused = { status: 403, json: { error: { code: 'PG_CONSOLE_CROSS_ORIGIN' } } };
  t.match(await call(url, 'POST', { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example' }, { subject: 'bob' }), refused, 'a foreign Origin');
  t.match(await call(url, 'POST', { cookie: s.cookie, 'x-csrf-token': s.csrf }, { subject: 'bob' }), refused, 'no Origin and no Sec-Fetch-Site');
  t.match(await call(url, 'POST', { cookie: s.cookie, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' }, { subject: 'bob' }), refused, 'Sec-Fetch-Site: cross-site');
  t.match(await call(`${gw.adminUrl}/admin/audit`, 'GET', { cookie: s.cookie, 'sec-fetch-site': 'same-site' }), refused, 'reads too, when the browser says same-site');
  t.match(await call(`${gw.adminUrl}/console/api/session`, 'POST', { origin: 'https://evil.example' }, { credential: CONSOLE_ADMIN_TOKEN, name: 'x' }), refused, 'a login from another origin');
  t.equal((await call(url, 'POST', { cookie: s.cookie, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'same-origin' }, { subject: 'bob' })).status, 201, 'same-origin by Sec-Fetch-Site goes through');
  const snapshot = await call(url, 'GET', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` });
  t.equal(snapshot.json.subjects.length, 1, 'only the same-origin revocation was made');
});

t.test('logout ends the session on the server: the old cookie is refused afterwards', async (t) => {
  const { gw } = await consoleGateway(t);
  const s = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN);
  t.equal((await call(`${gw.adminUrl}/admin/audit`, 'GET', { cookie: s.cookie })).status, 200);
  const out = await call(`${gw.adminUrl}/console/api/session`, 'DELETE', { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: gw.adminUrl });
  t.equal(out.status, 204);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/);
  t.match(await call(`${gw.adminUrl}/admin/audit`, 'GET', { cookie: s.cookie }), { status: 401, json: { error: { code: 'PG_ADMIN_UNAUTHORIZED', detail: /session has ended/ } } });
  const page = await call(`${gw.adminUrl}/console/access`, 'GET', { cookie: s.cookie });
  t.equal(page.status, 303, 'a page sends the person to the login');
  t.equal(page.headers.get('location'), '/console/login?next=access');
});

t.test('a JWT session ends when the JWT is revoked, and follows the subject\'s admin codes on each call', async (t) => {
  const { gw } = await consoleGateway(t);
  const s = await login(gw.adminUrl, await token({ sub: 'jane', scope: undefined }));
  t.equal((await call(`${gw.adminUrl}/admin/status`, 'GET', { cookie: s.cookie })).status, 200);
  await call(`${gw.adminUrl}/admin/revocations`, 'POST', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}`, 'content-type': 'application/json' }, { subject: 'jane' });
  t.match(await call(`${gw.adminUrl}/admin/status`, 'GET', { cookie: s.cookie }), { status: 401, json: { error: { code: 'PG_ADMIN_UNAUTHORIZED', detail: /PG_TOKEN_REVOKED/ } } });
  t.match(await call(`${gw.adminUrl}/admin/status`, 'GET', { cookie: s.cookie }), { status: 401, json: { error: { detail: /session has ended/ } } }, 'and the session is gone');
});

t.test('a JWT whose subject holds no admin code cannot log in', async (t) => {
  const { gw } = await consoleGateway(t);
  const res = await call(`${gw.adminUrl}/console/api/session`, 'POST', { origin: gw.adminUrl }, { credential: await token({ sub: 'alice' }) });
  t.match(res, { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN', detail: /permgate:admin:status:read/ } } });
});

t.test('failed logins count against the admin API\'s failure throttle: the address is refused with 429, even with the right token', async (t) => {
  const { gw } = await consoleGateway(t, `token: ${CONSOLE_ADMIN_TOKEN}, jwt: true, failureLimit: 3/min`);
  for (let i = 0; i < 3; i++) t.equal((await call(`${gw.adminUrl}/console/api/session`, 'POST', { origin: gw.adminUrl }, { credential: 'wrong-wrong-wrong', name: 'x' })).status, 401);
  const res = await call(`${gw.adminUrl}/console/api/session`, 'POST', { origin: gw.adminUrl }, { credential: CONSOLE_ADMIN_TOKEN, name: 'x' });
  t.match(res, { status: 429, json: { error: { code: 'PG_ADMIN_THROTTLED' } } });
  t.ok(res.headers.get('retry-after'));
});

t.test('every console answer carries a strict CSP, frame-ancestors none, nosniff and no-referrer', async (t) => {
  const { gw } = await consoleGateway(t);
  for (const path of ['/console/login', '/console/assets/main.js', '/console/assets/console.css']) {
    const res = await fetch(`${gw.adminUrl}${path}`);
    t.equal(res.status, 200, path);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const part of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) t.ok(csp.includes(part), `${path}: ${part}`);
    t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, `${path}: no inline code and no other origin`);
    t.equal(res.headers.get('x-content-type-options'), 'nosniff');
    t.equal(res.headers.get('referrer-policy'), 'no-referrer');
    t.equal(res.headers.get('x-frame-options'), 'DENY');
  }
  const api = await fetch(`${gw.adminUrl}/admin/audit`);
  t.match(api.headers.get('content-security-policy'), /default-src 'none'.*frame-ancestors 'none'/, 'the admin API\'s JSON too');
});

t.test('files are served with their content types and an ETag; a revalidation is a 304', async (t) => {
  const { gw } = await consoleGateway(t);
  const types: Record<string, RegExp> = { 'main.js': /^text\/javascript/, 'console.css': /^text\/css/, 'favicon.svg': /^image\/svg\+xml/ };
  for (const [file, type] of Object.entries(types)) {
    const res = await fetch(`${gw.adminUrl}/console/assets/${file}`);
    t.match(res.headers.get('content-type'), type, file);
    const etag = res.headers.get('etag')!;
    t.match(etag, /^"[A-Za-z0-9_-]+"$/);
    t.equal(res.headers.get('cache-control'), 'no-cache');
    t.equal((await fetch(`${gw.adminUrl}/console/assets/${file}`, { headers: { 'if-none-match': etag } })).status, 304);
  }
  t.equal((await fetch(`${gw.adminUrl}/console/assets/../../package.json`)).status, 404, 'nothing outside the console');
  t.equal((await fetch(`${gw.adminUrl}/console/assets/main.js.map`)).status, 404);
});

t.test('the console is off when the admin API is off, and when server.admin.console is false', async (t) => {
  const off = await consoleGateway(t, 'token: ""');
  const res = await call(`${off.gw.adminUrl}/console/login`, 'GET', {});
  t.match(res, { status: 404, json: { error: { code: 'PG_CONSOLE_DISABLED' } } });
  const page = await call(`${off.gw.adminUrl}/console/`, 'GET', {});
  t.equal(page.status, 404);
  const disabled = await consoleGateway(t, `token: ${CONSOLE_ADMIN_TOKEN}, console: false`);
  t.match(await call(`${disabled.gw.adminUrl}/console/api/session`, 'POST', { origin: disabled.gw.adminUrl }, { credential: CONSOLE_ADMIN_TOKEN, name: 'x' }), { status: 404, json: { error: { code: 'PG_CONSOLE_DISABLED' } } });
  t.equal((await call(`${disabled.gw.adminUrl}/admin/audit`, 'GET', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` })).status, 200, 'the admin API itself stays on');
});

t.test('turning the console off by a reload ends its sessions: the cookie no longer reaches the admin API, and is not counted as a failed login', async (t) => {
  const { gw, upstream } = await consoleGateway(t, `token: ${CONSOLE_ADMIN_TOKEN}, failureLimit: 2/min`);
  const s = await login(gw.adminUrl, CONSOLE_ADMIN_TOKEN);
  const loaded = parseConfig(consoleYaml(upstream.url, `token: ${CONSOLE_ADMIN_TOKEN}, failureLimit: 2/min, console: false`), 'test.yaml');
  await gw.gateway.reload({ next: loaded });
  for (let i = 0; i < 3; i++) t.match(await call(`${gw.adminUrl}/admin/audit`, 'GET', { cookie: s.cookie }), { status: 401, json: { error: { detail: /console is off/ } } });
  t.equal((await call(`${gw.adminUrl}/admin/audit`, 'GET', { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` })).status, 200, 'not throttled: those were not failed logins');
});
