// A private redis-server on a free port, started and stopped by the test that needs it. Never a shared Redis.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartableProcess, withFreshPorts } from './restartable-process.js';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (as an outage would), keeping the port for `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `count` distinct free ports (ports freed one after another could otherwise be handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export function startPrivateRedis(): Promise<PrivateRedis> {
  return withFreshPorts(async () => startOn(await freePort()));
}

async function startOn(port: number): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-redis-'));
  const server = restartableProcess(
    'redis-server (is it installed?)',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    'Ready to accept connections',
  );
  try {
    await server.start();
  } catch (err) {
    await server.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: server.start,
    stop: server.kill,
    async close() {
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
