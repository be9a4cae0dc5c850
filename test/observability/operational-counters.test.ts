// The counters an operator needs where a log line is not enough: connections dropped at the cap, refusal log lines
// left out by sampling, and refused admin calls (failed guesses included), each read from the real /metrics.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import type { GatewayDeps } from '../../src/gateway.js';
import { startGateway } from '../helpers/gateway-under-test.js';

const ADMIN = 'admin-token-for-counter-tests-0123456789';

async function metric(adminUrl: string, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

/** A gateway with one public route; `server` adds lines under `server:`. */
function gatewayWith(server: string, deps: GatewayDeps = {}): ReturnType<typeof startGateway> {
  return startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
${server}
upstreams:
  svc: { url: "http://127.0.0.1:9" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`, {}, deps);
}

t.test('connections over server.limits.connections are counted as dropped', async (t) => {
  const gw = await gatewayWith('  admin: { host: 127.0.0.1, port: 0 }\n  limits: { connections: 2 }');
  t.teardown(() => gw.close());
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < 4; i++) {
    const socket = connect(gw.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    sockets.push(socket);
  }
  const deadline = Date.now() + 2_000;
  while ((await metric(gw.adminUrl, 'permgate_connections_dropped_total')) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(await metric(gw.adminUrl, 'permgate_connections_dropped_total'), 2, 'two connections over a cap of two');
});

t.test('refusal lines left out by sampling are counted by code', async (t) => {
  const gw = await gatewayWith('  admin: { host: 127.0.0.1, port: 0 }\n  logs: { refusalsPerSecond: 1 }', { now: () => 1_000_000 });
  t.teardown(() => gw.close());
  for (let i = 0; i < 5; i++) t.equal((await fetch(`${gw.url}/nowhere/${i}`)).status, 404);
  t.equal(await metric(gw.adminUrl, 'permgate_refusal_log_lines_suppressed_total{code="PG_ROUTE_NOT_FOUND"}'), 4, 'one line written, four counted instead');
});

t.test('refused admin calls are counted by code, a wrong token as PG_ADMIN_UNAUTHORIZED', async (t) => {
  const gw = await gatewayWith(`  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }`);
  t.teardown(() => gw.close());
  for (let i = 0; i < 3; i++) t.equal((await fetch(`${gw.adminUrl}/admin/revocations`, { headers: { authorization: `Bearer wrong-${i}` } })).status, 401);
  t.equal((await fetch(`${gw.adminUrl}/admin/audit`, { headers: { authorization: `Bearer ${ADMIN}` } })).status, 200, 'the right token is not counted');
  t.equal(await metric(gw.adminUrl, 'permgate_admin_refusals_total{code="PG_ADMIN_UNAUTHORIZED"}'), 3);
});
