// `server.reusePort: true` with one process (workers: 1, issue 12): a new permgate binds the port while the old one
// still serves, the kernel spreads fresh connections over both, and once the old one has drained the new one serves
// everything, nothing lost; as nginx's `reuseport` and Envoy's `enable_reuse_port` allow. Without it (the default) a
// second permgate on the port exits with EADDRINUSE, as before: nothing joins a port by accident.
import { Agent } from 'node:http';
import t from 'tap';
import { reusePortSupported } from '../../src/server/reuse-port.js';
import { fresh, startFleet, type FleetProcess } from '../helpers/fleet-process.js';
import { listeningOwners } from '../helpers/listening-sockets.js';
import { freePorts } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { timedGet, type TimedAnswer } from '../helpers/timed-get.js';

const config = (upstream: string, reusePort: boolean): string => `server:
  listen: { host: 127.0.0.1, port: \${PORT} }
  admin: { host: 127.0.0.1, port: \${ADMIN_PORT} }
  reusePort: ${reusePort}
  drainDelay: 1s
  accessLog: true
store:
  path: memory
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

const requests = (process: FleetProcess): number => process.lines().filter((line) => line.msg === 'request').length;

t.test('without reusePort a second permgate on the same port exits with EADDRINUSE', async (t) => {
  const upstream = await startProcessUpstream();
  const [port, first, second] = await freePorts(3);
  const old = await startFleet(config(upstream.url, false), { ports: { port: port!, adminPort: first! } });
  const next = await startFleet(config(upstream.url, false), { ports: { port: port!, adminPort: second! }, expectExit: true });
  t.teardown(async () => {
    await next.close();
    await old.close();
    await upstream.close();
  });
  t.equal(await next.exited(), 1, 'the second exits 1');
  t.match(next.output(), /EADDRINUSE/);
  t.equal((await fresh(`${old.url}/public/still`)).status, 200, 'the first serves on');
});

if (reusePortSupported()) {
  t.test('with reusePort true a new permgate binds the port while the old one serves, and serves everything once the old one drained', async (t) => {
    const upstream = await startProcessUpstream();
    const [port, first, second] = await freePorts(3);
    const old = await startFleet(config(upstream.url, true), { ports: { port: port!, adminPort: first! } });
    const next = await startFleet(config(upstream.url, true), { ports: { port: port!, adminPort: second! } });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.teardown(async () => {
      agent.destroy();
      await next.close();
      await old.close();
      await upstream.close();
    });
    const owners = await listeningOwners(port!, [old.child.pid!, next.child.pid!]);
    t.same([...owners.byPid.values()].map((inodes) => inodes.length), [1, 1], 'each process owns a listening socket on the port');
    for (let i = 0; i < 30; i++) if ((await fresh(`${old.url}/public/both${i}`)).status !== 200) t.fail(`request ${i} was not answered`);
    t.ok(requests(old) > 0 && requests(next) > 0, `fresh connections reached both (${requests(old)} and ${requests(next)} logged)`);

    // The old one is stopped under keep-alive load, as a rolling restart on one host would.
    const answers: TimedAnswer[] = [];
    let stopAt = Infinity;
    const clients = Array.from({ length: 4 }, async () => {
      while (performance.now() < stopAt) answers.push(await timedGet(agent, `${old.url}/public/x?delay=20`));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    old.child.kill('SIGTERM');
    t.equal(await old.exited(), 0, 'the old one drained and exited 0');
    const before = requests(next);
    stopAt = performance.now() + 500;
    await Promise.all(clients);
    t.same(answers.filter((a) => a.status !== 200), [], `every one of ${answers.length} requests was answered 200`);
    t.ok(requests(next) > before, 'after the old one left, the new one served the clients');
    t.equal((await fresh(`${old.url}/public/after`)).status, 200, 'and fresh connections');
  });
}
