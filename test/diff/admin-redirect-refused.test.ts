// `permgate diff --admin` never follows a redirect: the admin API does not send one, and following it would hand the
// admin token to whatever host the redirect names.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { AdminReadError, readLivePolicy } from '../../src/diff/live-policy.js';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

t.test('a redirect from the admin URL is an error, and the host it names never sees the token', async (t) => {
  const seen: (string | undefined)[] = [];
  const elsewhere = createServer((request, response) => {
    seen.push(request.headers.authorization);
    response.end('{}');
  });
  const target = await listen(elsewhere);
  const admin = createServer((request, response) => {
    // /readyz (no token) answers; the first authorized call is redirected away.
    if (request.url === '/readyz') return response.end(JSON.stringify({ config: { file: 'gateway.yaml' } }));
    response.writeHead(307, { location: `${target}${request.url}` }).end();
  });
  const url = await listen(admin);
  t.teardown(() => {
    admin.close();
    elsewhere.close();
  });
  await t.rejects(readLivePolicy(url, 'secret-admin-token-0123456789abcdef'), AdminReadError);
  t.same(seen, [], 'nothing reached the other host');
});
