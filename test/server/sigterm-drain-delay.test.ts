// SIGTERM with server.drainDelay, as Kubernetes sends it (issue 12), on a real process under keep-alive load:
// /readyz is 503 at once, requests are still served during the delay with `Connection: close` (never a reset or a
// 503), new connections are still accepted then, the listener stops after the delay, the request in flight then
// completes, and the process exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { freePort } from '../helpers/private-redis.js';
import { timedGet as get, type TimedAnswer as Answer } from '../helpers/timed-get.js';

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const DRAIN_DELAY = 3_000;

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

t.test('SIGTERM under keep-alive load: not ready at once, served with Connection: close during drainDelay, nothing lost, exit 0', async (t) => {
  const upstream = await startProcessUpstream();
  const [port, adminPort, statusPort] = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'permgate-drain-'));
  const file = join(dir, 'gateway.config.yaml');
  await writeFile(file, `server:
  listen: { host: 127.0.0.1, port: ${port} }
  admin: { host: 127.0.0.1, port: ${adminPort} }
  status: { host: 127.0.0.1, port: ${statusPort} }
  drainDelay: ${DRAIN_DELAY}ms
  drainTimeout: 5s
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { stdio: 'ignore' });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(async () => {
    agent.destroy();
    child.kill('SIGKILL');
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const readyz = `http://127.0.0.1:${statusPort}/readyz`;
  const started = Date.now();
  while ((await fetch(readyz).then((r) => r.status, () => 0)) !== 200) {
    if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`the gateway did not become ready (exit ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  // Four kept-alive clients, as a load balancer's connections; they stop sending a second after /readyz said 503,
  // as a balancer would, well before the delay ends (it began no earlier than the signal was sent).
  const answers: Answer[] = [];
  let stopAt = Infinity;
  const clients = Array.from({ length: 4 }, async () => {
    while (performance.now() < stopAt) answers.push(await get(agent, `${base}/public/x?delay=20`));
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const slow = get(undefined, `${base}/public/slow?delay=${DRAIN_DELAY + 500}`); // in flight across the whole delay
  await new Promise((resolve) => setTimeout(resolve, 50));
  const signalled = performance.now();
  child.kill('SIGTERM');

  // The signal reaches the process's event loop a moment after kill() returns: poll, and time it.
  let firstReady = await fetch(readyz);
  while (firstReady.status === 200 && performance.now() - signalled < 1_000) firstReady = await fetch(readyz);
  const notReadyAfter = performance.now() - signalled;
  t.equal(firstReady.status, 503, '/readyz on the status port is 503');
  t.ok(notReadyAfter < 1_000, `at once (${notReadyAfter.toFixed(0)} ms after SIGTERM, on a loaded machine)`);
  stopAt = performance.now() + 1_000;
  t.match(await firstReady.json(), { status: 'draining', draining: true });

  await new Promise((resolve) => setTimeout(resolve, 300));
  const fresh = await get(undefined, `${base}/public/fresh`);
  t.match(fresh, { status: 200, connection: 'close' }, 'during the delay a new connection is still accepted and served');
  await Promise.all(clients);

  t.same(answers.filter((a) => a.status !== 200), [], `every one of ${answers.length} requests was answered 200: no reset, no 503`);
  // Answered before the signal was sent; sent once /readyz said the gateway had it (those in between may go
  // either way: an answer in flight when the signal lands says close too).
  const before = answers.filter((a) => a.answeredAt < signalled);
  const during = answers.filter((a) => a.sentAt > signalled + notReadyAfter);
  t.ok(before.length > 3 && during.length > 3, `${before.length} requests before SIGTERM, ${during.length} during the delay`);
  t.same(before.filter((a) => a.connection !== 'keep-alive'), [], 'before SIGTERM connections are kept alive');
  t.same(during.filter((a) => a.connection !== 'close'), [], 'during the delay every answer says Connection: close');

  // Past the delay: it began no later than /readyz turned 503, so the listener has stopped accepting by then.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, signalled + notReadyAfter + DRAIN_DELAY + 300 - performance.now())));
  const late = await get(undefined, `${base}/public/late`);
  t.match(late, { status: 0, error: 'ECONNREFUSED' }, 'after the delay no new connection is accepted');
  t.match(await slow, { status: 200, connection: 'close' }, 'the request in flight across the delay completes');
  t.equal(await exited(child), 0, 'exit 0');
  const took = performance.now() - signalled;
  t.ok(took >= DRAIN_DELAY && took < DRAIN_DELAY + 5_000, `exited ${took.toFixed(0)} ms after SIGTERM (drainDelay ${DRAIN_DELAY} ms)`);
});
