// A child process a test can kill (SIGKILL, as a crash or an outage) and start again: a private redis-server, an
// upstream in its own process. Started means: its stdout said `ready`. A process that exits before that (a port taken
// between choosing it and binding it, under a loaded machine) fails at once with the last thing it printed.
import { spawn, type ChildProcess } from 'node:child_process';

export interface RestartableProcess {
  start(): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

/** A full suite on two cores can hold a fresh process back for seconds; this is a bound, not an expectation. */
const START_TIMEOUT_MS = 15_000;

export function restartableProcess(what: string, command: string, args: readonly string[], ready: string): RestartableProcess {
  let child: ChildProcess | undefined;
  return {
    async start() {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const started = child;
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        const fail = (why: string): void => {
          clearTimeout(timer);
          started.off('exit', onExit);
          reject(new Error(`${what} ${why}${seen ? `; it printed: ${seen.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited before it was ready (${signal ?? `code ${code}`})`);
        const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
        started.once('error', (err) => fail(`could not be started: ${err.message}`));
        started.once('exit', onExit);
        started.stdout!.on('data', (chunk: Buffer) => {
          seen = (seen + chunk.toString()).slice(-512);
          if (seen.includes(ready)) {
            clearTimeout(timer);
            started.off('exit', onExit);
            resolve();
          }
        });
      });
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
}

/**
 * Ports are chosen before the servers bind them, so on a busy machine one may be taken in between: `start` (which
 * chooses its own ports and cleans up after a failure) is tried afresh, up to `attempts` times.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}
