// mTLS on a listener: a client without a certificate from the configured CA is refused in the handshake; one with
// such a certificate is served; with clientSubject its CN is the caller when it sends no token (RBAC decides, and a
// subject revocation refuses it), while a token, when sent, still names the caller.
import t from 'tap';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'mutual-tls-admin-token-0123456789abcdef0123';

function get(port: number, path: string, options: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: 'api.test', agent: false, ...options }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('client certificates: required by the handshake, and their subject names machine callers', async (t) => {
  const serverCa = makeAuthority(t, 'server CA');
  const clientCa = makeAuthority(t, 'client CA');
  const strangerCa = makeAuthority(t, 'stranger CA');
  const site = serverCa.server(['api.test']);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen:
    host: 127.0.0.1
    port: 0
    http2: true
    tls:
      certs: [{ cert: ${site.cert}, key: ${site.key} }]
      clientCa: ${clientCa.caFile}
      clientSubject: true
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${hsAuth()}
rbac:
  roles: { billing: { grants: [invoice:read] } }
  subjects: { billing-batch: { roles: [billing] }, alice: { roles: [billing] } }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /invoices/:id, upstream: svc, permission: invoice:read }
`);
  const port = gw.port;
  const ca = serverCa.caPem;
  const batch = clientCa.client('billing-batch');
  const intruder = clientCa.client('intruder');
  const forged = strangerCa.client('billing-batch');
  const pem = (files: { cert: string; key: string }) => ({ cert: readFileSync(files.cert), key: readFileSync(files.key) });

  await t.rejects(get(port, '/invoices/1', { ca }), 'no client certificate: the handshake fails');
  await t.rejects(get(port, '/invoices/1', { ca, ...pem(forged) }), 'a certificate from another CA: the handshake fails');
  t.equal(upstream.requests.length, 0, 'nothing reached the upstream');

  const served = await get(port, '/invoices/1', { ca, ...pem(batch) });
  t.equal(served.status, 200, 'the CN billing-batch is the caller, and its role grants invoice:read');
  t.equal(upstream.requests.at(-1)!.headers['x-auth-subject'], 'billing-batch');
  t.equal((await get(port, '/invoices/1', { ca, ...pem(intruder) })).status, 403, 'a verified certificate of a subject with no grant: 403');
  const withToken = await get(port, '/invoices/1', { ca, ...pem(intruder), headers: { authorization: `Bearer ${await token({ sub: 'alice' })}` } });
  t.equal(withToken.status, 200, 'a token, when sent, names the caller');
  t.equal(upstream.requests.at(-1)!.headers['x-auth-subject'], 'alice');

  const revoke = await fetch(`${gw.adminUrl}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'billing-batch' }),
  });
  t.equal(revoke.status, 201, 'the subject is revoked');
  const refused = await get(port, '/invoices/1', { ca, ...pem(batch) });
  t.equal(refused.status, 401, 'a revoked subject is refused even with a valid certificate');
  t.match(JSON.parse(refused.body), { error: { code: 'PG_TOKEN_REVOKED' } });
});
