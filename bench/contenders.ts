// The targets the bench loads, each started as its own child process on 127.0.0.1: the origin (loaded directly and
// upstream of every proxy), a bare Fastify proxy, permgate from its CLI, nginx (either on plain HTTP or terminating
// TLS); and a private Redis for permgate.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath, freePort, startChild, tempDir, waitUntilReady, type Child } from './child-processes.js';
import { childPids } from './cpu-time.js';
import type { CertificateFiles } from './self-signed-certificate.js';

/** The repository root, seen from dist/bench/ where this file runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Contender {
  readonly name: string;
  readonly url: string;
  /** The process that does the serving, whose CPU time the bench reads (nginx's worker, not its master). */
  readonly pid: number | undefined;
  /** The root of every process that serves (nginx's master, a permgate primary): what a fleet's CPU sums, with its tree. */
  readonly rootPid?: number | undefined;
  /** Rejects, with its output, once the process has gone. */
  checkRunning(): Promise<void>;
  stop(): Promise<void>;
}

export interface PermgateVariant {
  readonly name: string;
  /** Added to the environment the brief fixes (host, ports, upstream URLs). */
  readonly env?: Readonly<Record<string, string>>;
  /** Rewrites the shipped gateway.config.yaml; without it, permgate runs the shipped file itself. */
  readonly editConfig?: (yaml: string) => string;
  /** Another checkout (built) to run instead of this one: its CLI and its shipped config. For A/B runs. */
  readonly root?: string;
  /** How long start-up may take; a config with 10,000 static subjects takes seconds to load in each process. */
  readonly readyTimeoutMs?: number;
  /** Its listener terminates TLS (the edited config says so): the contender's URL is https. */
  readonly tls?: boolean;
}

const READY_TIMEOUT_MS = 15_000;

function contender(child: Child, url: string, pid: number | undefined = child.pid): Contender {
  return { name: child.name, url, pid, rootPid: child.pid, checkRunning: () => child.checkRunning(), stop: () => child.stop() };
}

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

/** The same over HTTPS, trusting only the certificate the contender was given (self-signed, so fetch would refuse it). */
function answers200OverTls(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca, agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode === 200));
    });
    request.once('timeout', () => request.destroy(new Error('timed out')));
    request.once('error', reject);
  });
}

function portMessage(child: Child): number | undefined {
  for (const message of child.messages) {
    if (typeof message === 'object' && message !== null && 'port' in message && typeof message.port === 'number') return message.port;
  }
  return undefined;
}

/** One of our own scripts in dist/bench/, which sends `{ port }` over IPC once it listens. */
async function startBenchScript(name: string, script: string, args: readonly string[]): Promise<Contender> {
  const child = startChild(name, process.execPath, [join(REPO_ROOT, 'dist/bench', script), ...args], { ipc: true });
  await waitUntilReady(child, async () => portMessage(child) !== undefined, READY_TIMEOUT_MS);
  return contender(child, `http://127.0.0.1:${portMessage(child)}`);
}

export function startOrigin(): Promise<Contender> {
  return startBenchScript('direct', 'origin.js', []);
}

export function startBareProxy(originUrl: string): Promise<Contender> {
  return startBenchScript('bare-proxy', 'bare-proxy.js', [originUrl]);
}

/** `permgate start` from the repository root, both upstreams pointed at the origin; ready when /readyz answers 200. */
export async function startPermgate(originUrl: string, variant: PermgateVariant): Promise<Contender> {
  const root = variant.root ?? REPO_ROOT;
  let config = 'gateway.config.yaml';
  if (variant.editConfig) {
    config = join(tempDir('permgate-bench-'), 'gateway.config.yaml');
    writeFileSync(config, variant.editConfig(readFileSync(join(root, 'gateway.config.yaml'), 'utf8')));
  }
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = startChild(variant.name, process.execPath, [join(root, 'dist/src/cli.js'), 'start', '-c', config], {
    cwd: root,
    env: {
      ...process.env,
      ...variant.env,
      PERMGATE_HOST: '127.0.0.1',
      PERMGATE_PORT: String(port),
      PERMGATE_ADMIN_PORT: String(adminPort),
      ORDERS_URL: originUrl,
      CHANNELS_URL: originUrl,
    },
  });
  await waitUntilReady(child, () => answers200(`http://127.0.0.1:${adminPort}/readyz`), variant.readyTimeoutMs ?? READY_TIMEOUT_MS);
  return contender(child, `${variant.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
}

/**
 * nginx as a plain keep-alive reverse proxy, by default one worker like the one event loop of each Node proxy (more to
 * face a permgate with as many workers); with `tls`, terminating TLS with that certificate and offering h2 and
 * http/1.1 by ALPN on the one port, as permgate's `http2: true` listener does. Undefined when not installed.
 */
export async function startNginx(originUrl: string, workers = 1, tls?: CertificateFiles): Promise<Contender | undefined> {
  const nginx = findOnPath('nginx');
  if (!nginx) return undefined;
  const dir = tempDir('permgate-bench-nginx-');
  // Run as root, nginx's workers run as `nobody` and must be able to enter the prefix.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const upstream = new URL(originUrl).host;
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off;
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  # nginx closes a keep-alive connection after 1000 requests by default; the Node proxies never do.
  keepalive_requests 1000000;
  upstream origin { server ${upstream}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port}${tls ? ` ssl http2;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    # nginx 1.22 offers TLS 1.3 only when told; Node, under permgate, offers 1.2 and 1.3: both agree on 1.3.
    ssl_protocols TLSv1.2 TLSv1.3` : ''};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`);
  // `-e stderr`: errors met before the config is read go to stderr too, not to the system's log file.
  const child = startChild(workers === 1 ? 'nginx' : `nginx (${workers} workers)`, nginx, ['-p', `${dir}/`, '-e', 'stderr', '-c', conf], { lastResortSignal: 'SIGTERM' });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = tls && readFileSync(tls.cert, 'utf8');
  await waitUntilReady(child, () => (ca ? answers200OverTls(`${url}/`, ca) : answers200(`${url}/`)), READY_TIMEOUT_MS);
  const [worker] = await childPids(child.pid);
  return contender(child, url, worker);
}

function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      resolve(chunk.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.on('error', () => undefined); // refused while it starts: 'close' follows and says no
    socket.once('close', () => resolve(false));
  });
}

/** A private redis-server on a free port, never a shared one; undefined when it is not installed. */
export async function startRedis(): Promise<Contender | undefined> {
  const redis = findOnPath('redis-server');
  if (!redis) return undefined;
  const port = await freePort();
  const dir = tempDir('permgate-bench-redis-');
  const child = startChild('redis', redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  await waitUntilReady(child, () => redisAnswersPing(port), READY_TIMEOUT_MS);
  return contender(child, `redis://127.0.0.1:${port}`);
}
