// Clients that send bodies slowly or abort them: the process stays up, and a few of them cannot take an upstream's
// whole connection pool from everyone else (issue 10). The gateway runs as a child process, as an operator runs it,
// so a crash shows as an exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { freePort } from '../helpers/private-redis.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = process.env.PERMGATE_CLI ?? join(root, 'dist/src/cli.js');

interface Child {
  readonly port: number;
  readonly process: ChildProcess;
  output(): string;
}

async function startChild(t: Test, yaml: string): Promise<Child> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'permgate-bodies-'));
  const file = join(dir, 'gw.yaml');
  await writeFile(file, `server:\n  listen: { host: 127.0.0.1, port: ${port} }\n  admin: { host: 127.0.0.1, port: ${adminPort} }\n  logLevel: warn\n${yaml}`);
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  t.teardown(() => void child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited at start: ${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).ok) break;
    } catch {
      if (Date.now() > deadline) throw new Error('the gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { port, process: child, output: () => output };
}

/** An upstream that reads request bodies to their end before answering (as most do): an upload holds its connection. */
async function upstreamFor(t: Test): Promise<RecordingUpstream> {
  const upstream = await startRecordingUpstream();
  t.teardown(() => upstream.close());
  return upstream;
}

/** Opens a request with a body of `length` bytes and sends `sent` of them now; the rest never comes. */
function openUpload(port: number, path: string, length: number, sent: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`);
      socket.write(Buffer.alloc(sent, 'a'), () => resolve(socket));
    });
    socket.on('error', reject);
  });
}

/** One full response status from a raw socket (the gateway answers a slow upload on the same socket). */
function statusOf(socket: Socket, timeoutMs = 5_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
}

const ROUTES = (upstream: string, extra = ''): string => `upstreams:
  svc: { url: "${upstream}", connections: 2 }
routes:
  - { path: /stream/**, upstream: svc, auth: none, requestBuffering: false }
  - { path: /buffered/**, upstream: svc, auth: none }
  - { path: /public/**, upstream: svc, auth: none }
${extra}`;

t.test('clients that abort their bodies, queued behind a full pool or being forwarded, never stop the process', async (t) => {
  const upstream = await upstreamFor(t);
  const gw = await startChild(t, `  limits: { uploadsPerClient: 20 }\n${ROUTES(upstream.url)}`);
  // Two streamed uploads take both pooled connections (the upstream waits for their ends); six more queue behind them.
  const active = [await openUpload(gw.port, '/stream/a1', 1_000_000, 70_000), await openUpload(gw.port, '/stream/a2', 1_000_000, 70_000)];
  await new Promise((resolve) => setTimeout(resolve, 200));
  const queued: Socket[] = [];
  for (let i = 0; i < 6; i++) queued.push(await openUpload(gw.port, `/stream/q${i}`, 1_000_000, 70_000));
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Abort the queued ones (a reset, as a client that crashes), then the active ones.
  for (const socket of queued) socket.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const socket of active) socket.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(gw.process.exitCode, null, `the gateway is still running${gw.process.exitCode === null ? '' : `: ${gw.output()}`}`);
  const res = await fetch(`http://127.0.0.1:${gw.port}/public/after`);
  t.equal(res.status, 200, 'and answers');
  t.equal(upstream.requests.at(-1)!.target, '/public/after');
  // A buffered upload aborted half way, and one aborted while the pool is full, do the same.
  const slow = await openUpload(gw.port, '/buffered/b', 5_000, 1_000);
  slow.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(gw.process.exitCode, null, 'still running after a buffered body is aborted');
  t.equal((await fetch(`http://127.0.0.1:${gw.port}/public/again`)).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(gw.process.exitCode, null, `and still running at the end${gw.process.exitCode === null ? '' : `: ${gw.output()}`}`);
});

t.test('with as many slow uploads open as the pool has connections, an authorized GET to the same upstream is answered', async (t) => {
  const upstream = await upstreamFor(t);
  const gw = await startChild(
    t,
    `  limits: { uploadsPerClient: 1 }\n${hsAuth()}rbac:\n  subjects:\n    alice: { grants: ["api:read"] }\n${ROUTES(upstream.url, '  - { path: /api/**, upstream: svc, permission: "api:read" }\n')}`,
  );
  const slow: Socket[] = [];
  t.teardown(() => slow.forEach((socket) => socket.destroy()));
  // Buffered (the default): slow bodies wait in the gateway's memory, holding no upstream connection.
  for (let i = 0; i < 2; i++) slow.push(await openUpload(gw.port, `/buffered/${i}`, 10_000, 10));
  // Streamed: each holds a connection, so one client address gets one at a time (uploadsPerClient: 1).
  slow.push(await openUpload(gw.port, '/stream/first', 2_000_000, 10));
  const refused = await openUpload(gw.port, '/stream/second', 2_000_000, 10);
  slow.push(refused);
  t.equal(await statusOf(refused), 429, 'a second streamed upload from the same address is refused');
  const alice = { authorization: `Bearer ${await token({ sub: 'alice' })}` };
  const res = await fetch(`http://127.0.0.1:${gw.port}/api/orders`, { headers: alice, signal: AbortSignal.timeout(3_000) });
  t.equal(res.status, 200, 'the authorized request gets a connection to the same upstream');
  t.equal(upstream.requests.at(-1)!.target, '/api/orders');
  t.equal(upstream.requests.filter((r) => r.target.startsWith('/buffered/')).length, 0, 'no slow buffered upload has reached the upstream');
  t.equal(gw.process.exitCode, null);
});
