// `server.reusePort` in a fleet (issue 12) decides who owns the data ports' listening sockets, as Linux reports it
// (/proc/net/tcp matched to each process's fds): with it every worker owns one of its own on each data port (plain,
// TLS, redirect) and the primary none (it keeps the admin listener), and the kernel spreads fresh connections over
// both workers; without it the primary owns the one socket. On a Node
// without `listen({ reusePort })` (before 22.12 / 23.1) `true` is refused at start, and `auto` keeps the shared
// socket. Each Node runs the branch that applies to it.
import t, { type Test } from 'tap';
import { reusePortSupported } from '../../src/server/reuse-port.js';
import { fresh, startFleet, type FleetProcess } from '../helpers/fleet-process.js';
import { listeningOwners } from '../helpers/listening-sockets.js';
import { freePorts, startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { siteCertificate } from '../helpers/test-certificates.js';
import { fleetConfig } from './fleet-config.js';

const supported = reusePortSupported();

async function fleetWith(t: Test, reusePort: string, options: { expectExit?: boolean; listen?: string } = {}): Promise<FleetProcess> {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url, listen: options.listen, server: `  reusePort: ${reusePort}\n  accessLog: true\n` }), options);
  t.teardown(async () => {
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  return fleet;
}

/** The listening sockets of a data port: how many, and how many the primary and each worker hold. */
async function owners(fleet: FleetProcess, port = fleet.port): Promise<{ sockets: number; primary: number; workers: number[] }> {
  const workers = fleet.workers();
  const { inodes, byPid } = await listeningOwners(port, [fleet.child.pid!, ...workers]);
  return { sockets: inodes.length, primary: byPid.get(fleet.child.pid!)!.length, workers: workers.map((pid) => byPid.get(pid)!.length) };
}

/** The worker pids that served `count` requests, each on a connection of its own. */
async function servedBy(fleet: FleetProcess, count: number): Promise<Set<unknown>> {
  const statuses = [];
  for (let i = 0; i < count; i++) statuses.push((await fresh(`${fleet.url}/public/spread${i}`)).status);
  if (statuses.some((status) => status !== 200)) throw new Error(`not every request was answered 200: ${statuses.join(',')}`);
  await fleet.waitForLine((line) => line.msg === 'request' && line.path === `/public/spread${count - 1}`);
  return new Set(fleet.lines().filter((line) => line.msg === 'request' && String(line.path).startsWith('/public/spread')).map((line) => line.worker));
}

if (supported) {
  t.test('reusePort true: each worker owns a listening socket of its own on every data port (plain, TLS, redirect), the primary none, and both answer fresh connections', async (t) => {
    const [tlsPort, redirectPort] = await freePorts(2);
    const { tls } = siteCertificate(t);
    const listen = `[{ host: 127.0.0.1, port: \${PORT} }, { host: 127.0.0.1, port: ${tlsPort}, tls: ${tls}, http2: true }, { host: 127.0.0.1, port: ${redirectPort}, redirect: https }]`;
    const fleet = await fleetWith(t, 'true', { listen });
    t.equal(fleet.workers().length, 2, 'two workers serve');
    t.same(await owners(fleet), { sockets: 2, primary: 0, workers: [1, 1] }, 'two LISTEN sockets on the plain port, one in each worker');
    t.same(await owners(fleet, tlsPort), { sockets: 2, primary: 0, workers: [1, 1] }, 'and on the TLS port');
    t.same(await owners(fleet, redirectPort), { sockets: 2, primary: 0, workers: [1, 1] }, 'and on the redirect port');
    t.equal((await fresh(`http://127.0.0.1:${redirectPort}/public/x`)).status, 308, 'the redirect listener answers');
    t.same(await owners(fleet, fleet.adminPort), { sockets: 1, primary: 1, workers: [0, 0] }, 'the admin listener stays the primary\'s');
    t.equal((await servedBy(fleet, 40)).size, 2, '40 fresh connections were answered by both workers (the kernel spread them)');
    t.ok(fleet.lines().some((line) => line.reusePort === true && String(line.msg).includes('each worker listens on a socket of its own')), 'the primary said which it uses');
  });
} else {
  t.test(`reusePort true on Node ${process.versions.node} is refused at start, naming server.reusePort and the Node version`, async (t) => {
    const fleet = await fleetWith(t, 'true', { expectExit: true });
    t.equal(await fleet.exited(), 2, 'exit 2, as for any config error');
    t.match(fleet.output(), new RegExp(`gateway\\.yaml:\\d+:\\d+: server\\.reusePort: needs Node 22\\.12\\+, 23\\.1\\+ or 24\\+; this is Node ${process.versions.node.replaceAll('.', '\\.')}`));
  });
}

t.test(`reusePort auto on Node ${process.versions.node}: ${supported ? 'each worker owns its own socket' : 'the primary owns the one shared socket'}, and both workers answer`, async (t) => {
  const fleet = await fleetWith(t, 'auto');
  t.same(await owners(fleet), supported ? { sockets: 2, primary: 0, workers: [1, 1] } : { sockets: 1, primary: 1, workers: [0, 0] }, supported ? 'one LISTEN socket in each worker' : 'one LISTEN socket, in the primary');
  t.equal((await servedBy(fleet, 20)).size, 2, 'fresh connections were answered by both workers');
  const said = fleet.lines().filter((line) => 'reusePort' in line);
  t.equal(said.length, 1, `the choice is logged once: ${String(said[0]?.msg)}`);
  t.match(said[0], { level: 30, reusePort: supported, msg: /^server\.reusePort auto: / }, 'at info, by the primary');
  t.equal(said[0]?.worker, undefined, 'not by a worker');
});

t.test('reusePort false: the primary owns the one listening socket, the workers none', async (t) => {
  const fleet = await fleetWith(t, 'false');
  t.same(await owners(fleet), { sockets: 1, primary: 1, workers: [0, 0] }, 'one LISTEN socket, in the primary');
  t.notOk(fleet.lines().some((line) => 'reusePort' in line), 'nothing is logged about it');
});
