// Operations with real processes: SIGTERM under load cuts no request and exits 0; SIGHUP reloads (and survives a bad
// file); concurrency is bounded (503 at arrival, not a process that falls over); the drain deadline is kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { freePort } from '../helpers/private-redis.js';

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

function yaml(port: number, adminPort: number, upstream: string, extra = ''): string {
  return `server:
  listen: { host: 127.0.0.1, port: ${port} }
  admin: { host: 127.0.0.1, port: ${adminPort} }
  drainTimeout: 5s
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
${extra}`;
}

async function waitFor(check: () => Promise<boolean>, deadlineMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

async function startCli(t: Test, extra = ''): Promise<{ child: ChildProcess; base: string; file: string; write(extra: string): Promise<void> }> {
  const upstream = await startProcessUpstream();
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  const file = join(dir, 'gateway.config.yaml');
  const write = (more: string): Promise<void> => writeFile(file, yaml(port, adminPort, upstream.url, more));
  await write(extra);
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { stdio: 'ignore' });
  t.teardown(async () => {
    child.kill('SIGKILL');
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });
  t.ok(await waitFor(async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok), 'started');
  return { child, base: `http://127.0.0.1:${port}`, file, write };
}

t.test('SIGTERM under load: every request in flight completes, then exit 0', async (t) => {
  const { child, base } = await startCli(t);
  const inFlight = Array.from({ length: 20 }, () => fetch(`${base}/public/slow?delay=400`).then((r) => r.status, () => 0));
  await new Promise((resolve) => setTimeout(resolve, 150)); // all 20 are at the upstream now
  child.kill('SIGTERM');
  const statuses = await Promise.all(inFlight);
  t.same(statuses, Array(20).fill(200), 'no request was cut');
  t.equal(await exited(child), 0);
  const after = await fetch(`${base}/public/x`).then((r) => r.status, () => 'refused');
  t.equal(after, 'refused', 'nothing is accepted after the drain');
});

t.test('SIGHUP reloads the file; a bad file is refused and the process keeps serving the old one', async (t) => {
  const { child, base, write } = await startCli(t);
  t.equal((await fetch(`${base}/extra/x`)).status, 404);
  await write('  - { path: /extra/**, upstream: svc, auth: none }\n');
  child.kill('SIGHUP');
  t.ok(await waitFor(async () => (await fetch(`${base}/extra/x`)).status === 200, 5_000), 'the new route is served after SIGHUP');
  await write('  - { path: /extra/**, upstream: missing, auth: none }\n');
  child.kill('SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(child.exitCode, null, 'still running');
  t.equal((await fetch(`${base}/extra/x`)).status, 200, 'still on the last good config');
});

t.test('concurrency is bounded: beyond server.limits.inFlight, 503 at arrival', async (t) => {
  const upstream = await startProcessUpstream();
  const gw = await startGateway(`server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n  limits: { inFlight: 3 }\nupstreams:\n  svc: { url: "${upstream.url}" }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const responses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${gw.url}/public/x?delay=300`).then(async (r) => ({ status: r.status, body: await r.text() }))));
  t.equal(responses.filter((r) => r.status === 200).length, 3);
  const refused = responses.filter((r) => r.status === 503);
  t.equal(refused.length, 5);
  t.match(JSON.parse(refused[0]!.body), { error: { code: 'PG_OVERLOADED' } });
  t.equal((await fetch(`${gw.url}/public/x`)).status, 200, 'capacity returns when they are done');
});

t.test('the drain deadline is kept: a request slower than drainTimeout is cut, and close() returns', async (t) => {
  const upstream = await startProcessUpstream();
  const gw = await startGateway(`server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n  drainTimeout: 300ms\nupstreams:\n  svc: { url: "${upstream.url}", timeout: 10s }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  t.teardown(() => upstream.close());
  const slow = fetch(`${gw.url}/public/x?delay=5000`).then((r) => r.status, () => 'cut');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await gw.close();
  const ms = performance.now() - started;
  t.ok(ms < 2_000, `close() returned after ${ms.toFixed(0)} ms`);
  t.equal(await slow, 'cut');
});

t.test('while draining, readiness answers 503 so load balancers stop sending, and the request in flight completes', async (t) => {
  const upstream = await startProcessUpstream();
  const gw = await startGateway(`server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\nupstreams:\n  svc: { url: "${upstream.url}" }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  t.teardown(() => upstream.close());
  t.match(await (await fetch(`${gw.adminUrl}/readyz`)).json(), { status: 'ready' });
  const slow = fetch(`${gw.url}/public/x?delay=600`).then((r) => r.status);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = gw.close();
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  t.equal(ready.status, 503);
  t.match(await ready.json(), { status: 'draining', draining: true });
  t.equal(await slow, 200);
  await closing;
});

t.test('a request that arrives on a kept-alive connection while draining gets a coded 503 PG_SHUTTING_DOWN', async (t) => {
  const upstream = await startProcessUpstream();
  const gw = await startGateway(`server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\nupstreams:\n  svc: { url: "${upstream.url}" }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  t.teardown(() => upstream.close());
  const socket = connect(gw.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /public/slow?delay=600 HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = gw.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.write('GET /public/late HTTP/1.1\r\nHost: x\r\n\r\n');
  await closing;
  await new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
  const answers = received.split(/(?=HTTP\/1\.1 \d{3})/).filter((part) => part.startsWith('HTTP/1.1'));
  t.match(answers[0], /^HTTP\/1\.1 200/, 'the request in flight completes');
  t.match(answers[1], /^HTTP\/1\.1 503/, 'the one that came during the drain is refused');
  t.match(answers[1], /"code":"PG_SHUTTING_DOWN"/, 'with its code, not a bare 503');
});

t.test('a drain ends when the last request in flight does, not at the deadline, though its connection was kept alive', async (t) => {
  const upstream = await startProcessUpstream();
  const gw = await startGateway(`server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n  drainTimeout: 20s\nupstreams:\n  svc: { url: "${upstream.url}" }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  t.teardown(() => upstream.close());
  const slow = fetch(`${gw.url}/public/x?delay=300`).then((r) => r.status);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await gw.close();
  const ms = performance.now() - started;
  t.equal(await slow, 200, 'the request in flight completes');
  t.ok(ms < 5_000, `close() returned ${ms.toFixed(0)} ms after it was called (deadline 20 s)`);
});
