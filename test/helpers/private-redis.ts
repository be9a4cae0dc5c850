// A private redis-server on a free port, started and stopped by the test that needs it. Never a shared Redis.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartableProcess } from './restartable-process.js';

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

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'permgate-redis-'));
  const server = restartableProcess(
    'redis-server (is it installed?)',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    'Ready to accept connections',
  );
  await server.start();
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
