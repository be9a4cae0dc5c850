// A permgate fleet as an operator runs it (issue 12): `node dist/src/cli.js start -c FILE` with `server.workers`, a
// primary and its workers in their own process group, so a test can signal the primary, find (and kill) a worker by
// the pid its `worker serving` log line names, and tear the whole tree down. Needs `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './private-redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/src/cli.js');
export interface FleetProcess {
  readonly port: number;
  readonly adminPort: number;
  readonly url: string;
  readonly adminUrl: string;
  readonly file: string;
  readonly child: ChildProcess;
  /** Everything the tree wrote so far (the last 1 MB). */
  output(): string;
  /** JSON log lines written so far. */
  lines(): Record<string, unknown>[];
  /** The pids of the workers serving now: the latest `worker serving` line of each slot whose process is alive. */
  workers(): number[];
  /** Waits until a log line matches `test` (resolves with it) or rejects after `timeout` ms. */
  waitForLine(test: (line: Record<string, unknown>) => boolean, timeout?: number): Promise<Record<string, unknown>>;
  /** Resolves with the primary's exit code. */
  exited(): Promise<number | null>;
  /** Rewrites the config file (same ports). */
  write(config: string): Promise<void>;
  /** SIGKILLs the whole process group and removes the directory. */
  close(): Promise<void>;
}

const KEEP = 1024 * 1024;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `config` is YAML that listens on `${PORT}` and `${ADMIN_PORT}`; the primary is up once its admin listener answers
 * /healthz (it opens it when every worker serves). `expectExit` returns as soon as the primary exits instead.
 */
export async function startFleet(config: string, options: { env?: Record<string, string>; ports?: { port: number; adminPort: number }; expectExit?: boolean } = {}): Promise<FleetProcess> {
  const { port, adminPort } = options.ports ?? { port: await freePort(), adminPort: await freePort() };
  const dir = await mkdtemp(join(tmpdir(), 'permgate-fleet-'));
  const file = join(dir, 'gateway.yaml');
  const fill = (text: string): string => text.replaceAll('${PORT}', String(port)).replaceAll('${ADMIN_PORT}', String(adminPort));
  await writeFile(file, fill(config));
  const child = spawn(process.execPath, [cli, 'start', '-c', file], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const waiters = new Set<() => void>();
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-KEEP);
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const lines = (): Record<string, unknown>[] =>
    output.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

  const fleet: FleetProcess = {
    port,
    adminPort,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    file,
    child,
    output: () => output,
    lines,
    workers() {
      const bySlot = new Map<number, number>();
      for (const line of lines()) if (line.msg === 'worker serving') bySlot.set(line.worker as number, line.pid as number);
      return [...bySlot.values()].filter(isAlive);
    },
    waitForLine(test, timeout = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines().find(test);
          if (found === undefined) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching log line within ${timeout} ms:\n${output.slice(-4000)}`));
        }, timeout);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited: () => exit,
    write: (text) => writeFile(file, fill(text)),
    async close() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exit;
      await rm(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 40_000;
  let exitedEarly = false;
  void exit.then(() => (exitedEarly = true));
  while (Date.now() < deadline && !exitedEarly) {
    if (options.expectExit !== true) {
      try {
        if ((await fetch(`${fleet.adminUrl}/healthz`)).ok) return fleet;
      } catch {
        // not listening yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (options.expectExit === true && exitedEarly) return fleet;
  await fleet.close();
  throw new Error(exitedEarly ? `the fleet exited at start:\n${output}` : `the fleet did not answer /healthz within 40 s:\n${output}`);
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * A request on a connection of its own (no agent, `Connection: close`), so cluster's round-robin hands each to the
 * next worker. Resolves with status 0 when the connection is refused, cut or silent for 5 s.
 */
export function fresh(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method: init.method ?? 'GET', headers: { ...init.headers, connection: 'close' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => resolve({ status: 0, headers: {}, body }));
    });
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    // A request that hangs is a finding, not a test that never ends.
    req.setTimeout(5_000, () => req.destroy());
    req.end(init.body);
  });
}
