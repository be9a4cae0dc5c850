// Every process the bench starts is started here, so that none outlives the bench: each is stopped after its last
// run, and whatever is still running is killed on exit, on error and on SIGINT/SIGTERM/SIGHUP.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Child {
  readonly name: string;
  readonly pid: number | undefined;
  /** Messages received so far from a child started with `ipc`. */
  readonly messages: readonly unknown[];
  /** The last 16 KiB the child wrote to stdout and stderr. */
  outputTail(): string;
  /** Rejects, with the end of the child's output, once it has exited or could not be started. */
  checkRunning(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

export interface ChildOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** An IPC channel: the child can send its port, and our own children exit when it closes, even after a SIGKILL of the bench. */
  readonly ipc?: boolean;
  /**
   * What is sent when the bench is going away and cannot wait. SIGKILL for single processes; nginx needs SIGTERM,
   * because a SIGKILLed master leaves its workers running.
   */
  readonly lastResortSignal?: NodeJS.Signals;
}

const OUTPUT_SHOWN = 16 * 1024;
const running = new Map<ChildProcess, NodeJS.Signals>();
const tempDirs = new Set<string>();
let handlersInstalled = false;
let logs: string | undefined;
let started = 0;

function logDir(): string {
  logs ??= tempDir('permgate-bench-logs-');
  return logs;
}

function tail(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString();
  } finally {
    closeSync(fd);
  }
}

/** Kills every child still running and removes the temp dirs; synchronous, so it also works in an `exit` handler. */
export function stopAllNow(): void {
  for (const [child, signal] of running) child.kill(signal);
  running.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  logs = undefined;
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', stopAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${running.size} child process(es)\n`);
      stopAllNow();
      process.exit(128 + osConstants.signals[signal]);
    });
  }
}

export function startChild(name: string, command: string, args: readonly string[], options: ChildOptions = {}): Child {
  installHandlers();
  // Output goes to a file, not a pipe: the bench process is also the load generator and must not spend its CPU
  // reading a gateway's logs (pino writes to stdout); the file is read only to explain a failure.
  const outputPath = join(logDir(), `${name.replace(/[^\w.-]+/g, '_')}-${++started}.log`);
  const output = openSync(outputPath, 'w');
  const stdio: StdioOptions = options.ipc ? ['ignore', output, output, 'ipc'] : ['ignore', output, output];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio });
  closeSync(output);
  running.set(child, options.lastResortSignal ?? 'SIGKILL');
  let startFailure: Error | undefined;
  const messages: unknown[] = [];
  const outputTail = (): string => tail(outputPath, OUTPUT_SHOWN).trimEnd();
  child.on('message', (message: unknown) => messages.push(message));
  child.once('error', (err) => {
    startFailure = err;
    running.delete(child);
  });
  child.once('exit', () => running.delete(child));
  const exited = (): boolean => startFailure !== undefined || child.exitCode !== null || child.signalCode !== null;

  return {
    name,
    pid: child.pid,
    messages,
    outputTail,
    async checkRunning() {
      // Once it has exited, its output file is complete: nothing is buffered in a pipe.
      if (!exited()) return;
      if (startFailure) throw new Error(`${name} could not be started: ${startFailure.message}`);
      const status = child.exitCode ?? child.signalCode;
      throw new Error(`${name} exited (${status}); its output:\n${outputTail() || '(empty)'}`);
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (exited()) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      });
    },
  };
}

/** Polls `probe` until it says yes; fails as soon as the child exits, or at the deadline, with the child's output. */
export async function waitUntilReady(child: Child, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await child.checkRunning();
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`${child.name} was not ready within ${timeoutMs} ms; its output:\n${child.outputTail() || '(empty)'}`);
    }
    await sleep(50);
  }
}

/** A port nobody listens on right now (another process could still take it before the child binds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A private temp dir, removed when the bench exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** The executable's full path when it is on PATH, like `command -v`. */
export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
