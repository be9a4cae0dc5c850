// On the wire, for Windows backends (issue 10 §2): the forms IIS and ASP.NET resolve to another path — trailing dots
// and spaces, cookieless segments, NTFS streams, 8.3 short names — never reach the upstream, and look-alikes of ".",
// "/" and "\" are refused in every mode. Here `/api/secret` is protected and `/api/:doc` public: each form below
// would otherwise match the public route while IIS serves the protected file.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { rawGet } from '../helpers/raw-http.js';

const routes = (url: string): string => `
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/secret, upstream: svc, permission: secret:read }
  - { path: "/api/:doc", upstream: svc, auth: none }
  - { path: "/files/:name/:rest", upstream: svc, auth: none }
`;

const server = (paths: string): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  paths: ${paths}
`;

const WINDOWS_FORMS = [
  '/api/secret.',
  '/api/secret%2e',
  '/api/SECRET%2E',
  '/api/secret%20',
  '/api/secret.%20',
  '/api/secret::$DATA',
  '/api/secret%3A%3A%24DATA',
  '/api/secret:$i30:$INDEX_ALLOCATION',
  '/api/SECRE~1',
  '/api/secre%7E1',
  '/files/(S(x))/secret',
  '/files/%28A%28x%29%29/secret',
];

const LOOKALIKES = ['/api/secret%EF%BC%8E', '/api/%EF%BC%8E%EF%BC%8E', '/files/x%EF%BC%8F..%EF%BC%8Fapi/secret', '/files/x%EF%BC%BCy/z', '/api/secret%E2%88%95', '/api/secret%E2%81%84x', '/api/%E2%80%A5'];

t.test('with server.paths.windows, every IIS alias of a protected path is a 400 that never reaches the upstream', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => server('{ windows: true }') + routes(url));
  for (const target of WINDOWS_FORMS) {
    const response = await rawGet(gw.port, target);
    t.equal(response.status, 400, target);
    t.match(JSON.parse(response.body), { error: { code: 'PG_PATH_INVALID' } }, target);
  }
  t.equal(upstream.requests.length, 0, 'the upstream received none of them');
  t.equal((await rawGet(gw.port, '/API/Report.v2.pdf')).status, 200, 'ordinary names still pass');
  t.equal(upstream.requests.at(-1)?.target, '/api/report.v2.pdf', 'lower-cased: windows implies case folding');
  t.equal((await rawGet(gw.port, '/api/secret')).status, 401, 'the protected path itself is judged as protected');
});

t.test('case-insensitive mode applies the same rules by default', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => server('{ caseInsensitive: true }') + routes(url));
  for (const target of WINDOWS_FORMS) t.equal((await rawGet(gw.port, target)).status, 400, target);
  t.equal(upstream.requests.length, 0);
});

t.test('look-alikes of ".", "/" and "\\" are refused in every mode, Windows or not', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => server('{ caseInsensitive: false }') + routes(url));
  for (const target of LOOKALIKES) {
    const response = await rawGet(gw.port, target);
    t.equal(response.status, 400, target);
    t.match(JSON.parse(response.body), { error: { code: 'PG_PATH_INVALID' } }, target);
  }
  t.equal(upstream.requests.length, 0, 'the upstream received none of them');
  t.equal((await rawGet(gw.port, '/api/caf%C3%A9')).status, 200, 'other non-ASCII names still pass');
  t.equal(upstream.requests.at(-1)?.target, '/api/caf%C3%A9');
});

t.test('the admin decision endpoint canonicalizes with the same server.paths as the data plane', async (t) => {
  const token = 'admin-token-for-windows-path-tests-0123456789';
  const paths = (windows: boolean): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${token} }
  paths: { caseInsensitive: true, windows: ${windows} }
`;
  for (const windows of [true, false]) {
    const { gw } = await gatewayWithUpstream(t, (url) => paths(windows) + routes(url));
    const plane = (await rawGet(gw.port, '/api/readme.')).status;
    const response = await fetch(`${gw.adminUrl}/admin/decision?sub=alice&method=GET&path=${encodeURIComponent('/api/readme.')}`, { headers: { authorization: `Bearer ${token}` } });
    const explained = (await response.json()) as { decision: string; refusedWith?: string };
    t.equal(plane, windows ? 400 : 200, `windows: ${windows}, the data plane`);
    t.equal(explained.decision, windows ? 'refused' : 'public', `windows: ${windows}, the explanation agrees`);
  }
});
