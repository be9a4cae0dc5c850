// The gateway as an operator runs it: `node dist/src/cli.js start -c FILE` in a child process, so a crash shows as an
// exit (with its last output kept) rather than as a failed test in the same process. Needs `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './private-redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// PERMGATE_GATEWAY_ROOT runs another build (e.g. an older commit extracted elsewhere) under the same tests.
const cli = join(process.env.PERMGATE_GATEWAY_ROOT ?? root, 'dist/src/cli.js');

export interface GatewayExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last few KB the process wrote (stdout and stderr): the stack of a crash is there. */
  readonly output: string;
}

export interface GatewayProcess {
  readonly port: number;
  readonly adminPort: number;
  readonly url: string;
  readonly adminUrl: string;
  /** The directory holding the config file (and anything else the test puts next to it). */
  readonly dir: string;
  /** True while the current child has not exited. */
  alive(): boolean;
  /** Every exit seen so far that the test did not ask for. */
  readonly exits: GatewayExit[];
  /** The last output of the current child. */
  output(): string;
  /** Starts the child (again) on the same ports and waits for /healthz on the admin port. */
  start(): Promise<void>;
  /** SIGKILL and wait, then remove the directory. */
  close(): Promise<void>;
}

const KEEP = 8 * 1024;

/**
 * `config` is YAML that listens on `${PORT}` and `${ADMIN_PORT}` (filled from the environment by the config loader);
 * `env` adds variables.
 */
export async function startGatewayProcess(config: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'permgate-gw-'));
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, config);
  const exits: GatewayExit[] = [];
  let child: ChildProcess | undefined;
  let output = '';
  let stopping = false;

  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function start(): Promise<void> {
    output = '';
    const started = spawn(process.execPath, [cli, 'start', '-c', file], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port), ADMIN_PORT: String(adminPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-KEEP);
    };
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    started.once('exit', (code, signal) => {
      if (!stopping) exits.push({ code, signal, output });
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`the gateway exited at start with ${started.exitCode}:\n${output}`);
      try {
        if ((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the gateway did not answer /healthz within 15 s:\n${output}`);
  }

  await start();
  return {
    port,
    adminPort,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    dir,
    alive,
    exits,
    output: () => output,
    start,
    async close() {
      stopping = true;
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) {
        await new Promise<void>((resolve) => {
          running.once('exit', () => resolve());
          running.kill('SIGKILL');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
