// With server.admin.tls the admin listener speaks HTTPS, and the console's session cookie is then also Secure (never
// sent over plain HTTP); plain HTTP to that port gets no answer from the console.
import t from 'tap';
import { Agent, fetch as undiciFetch } from 'undici';
import { consoleYaml, CONSOLE_ADMIN_TOKEN, ensureConsoleBuilt } from '../helpers/console-gateway.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';

t.test('over TLS the session cookie is Secure, HttpOnly and SameSite=Strict', async (t) => {
  ensureConsoleBuilt();
  const ca = makeAuthority(t);
  const site = ca.server(['localhost', '127.0.0.1']);
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url, `token: ${CONSOLE_ADMIN_TOKEN}, tls: { certs: [{ cert: "${site.cert}", key: "${site.key}" }] }`));
  t.match(gw.adminUrl, /^https:\/\//);
  const dispatcher = new Agent({ connect: { ca: ca.caPem } });
  t.teardown(() => dispatcher.close());
  const res = await undiciFetch(`${gw.adminUrl}/console/api/session`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', origin: gw.adminUrl },
    body: JSON.stringify({ credential: CONSOLE_ADMIN_TOKEN, name: 'Tess' }),
  });
  t.equal(res.status, 201);
  const cookie = res.headers.get('set-cookie') ?? '';
  t.match(cookie, /; HttpOnly/);
  t.match(cookie, /; SameSite=Strict/);
  t.match(cookie, /; Secure/);
  const page = await undiciFetch(`${gw.adminUrl}/console/`, { dispatcher, headers: { cookie: cookie.split(';')[0]! } });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const plain = await fetch(gw.adminUrl.replace('https:', 'http:') + '/console/login').then((r) => r.status, () => 'refused');
  t.not(plain, 200, 'plain HTTP gets no console');
});
