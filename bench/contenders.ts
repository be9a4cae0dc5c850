// Starting and stopping what the bench loads: each contender is a child process on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children = new Set<ChildProcess>();

export interface Contender {
  readonly name: string;
  readonly url: string;
  /** The process serving `url`, so the bench can read how much CPU it spent. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux). CPU per request is far
 * steadier than req/s on a 2-core machine where load generator, origin and proxy compete for the cores.
 */
export async function cpuMicros(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return (ticks * 1_000_000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
}

/** Starts a node script that prints its port as its first line. */
async function startPrinting(name: string, script: string, args: string[]): Promise<Contender> {
  const child = track(spawn(process.execPath, [join(ROOT, 'dist/bench', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { name, url: `http://127.0.0.1:${port}`, pid: child.pid, stop: stopper(child) };
}

export const startOrigin = (): Promise<Contender> => startPrinting('origin', 'origin.js', []);
export const startBareProxy = (origin: string): Promise<Contender> => startPrinting('bare fastify + http-proxy', 'bare-proxy.js', [origin]);

/**
 * permgate from the CLI with the shipped config (or a variant of it), its upstreams pointed at the origin; ready
 * when /readyz is 200.
 */
export async function startPermgate(origin: string, env: Record<string, string>, variant?: { name: string; edit: (yaml: string) => string }): Promise<Contender> {
  let config = join(ROOT, 'gateway.config.yaml');
  if (variant) {
    const { readFile } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'permgate-bench-'));
    const edited = variant.edit(await readFile(config, 'utf8'));
    config = join(dir, 'gateway.config.yaml');
    await writeFile(config, edited);
  }
  const [port, adminPort] = [await freePort(), await freePort()];
  let stderr = '';
  const child = track(
    spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'start', '-c', config], {
      cwd: ROOT,
      env: {
        ...process.env,
        PERMGATE_HOST: '127.0.0.1',
        PERMGATE_PORT: String(port),
        PERMGATE_ADMIN_PORT: String(adminPort),
        ORDERS_URL: origin,
        CHANNELS_URL: origin,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`permgate exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`permgate did not become ready:\n${stderr}`);
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name: variant?.name ?? 'permgate', url: `http://127.0.0.1:${port}`, pid: child.pid, stop: stopper(child) };
}

/** nginx as a plain keep-alive reverse proxy, when the binary is installed. */
export async function startNginx(origin: string): Promise<Contender | undefined> {
  const which = spawn('sh', ['-c', 'command -v nginx']);
  const found = await new Promise<boolean>((resolve) => which.once('exit', (code) => resolve(code === 0)));
  if (!found) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'permgate-bench-nginx-'));
  const port = await freePort();
  const upstream = new URL(origin);
  await writeFile(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream origin { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`);
  const child = track(spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' }));
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (child.exitCode !== null) return undefined;
  // nginx runs a master and a worker; the worker does the proxying: its pid is the master's child.
  const workers = await readChildren(child.pid);
  return { name: 'nginx', url: `http://127.0.0.1:${port}`, pid: workers[0], stop: stopper(child) };
}

/** Kills every child still running: on normal exit, on error and on SIGINT. */
export function stopAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

async function readChildren(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  try {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A private redis-server on a free port (never a shared one), or undefined when the binary is missing. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'permgate-bench-redis-'));
  const child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] }));
  const ready = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept connections') && resolve(true));
    setTimeout(() => resolve(false), 5_000).unref();
  });
  if (!ready) return undefined;
  return { url: `redis://127.0.0.1:${port}`, stop: stopper(child) };
}
