// A child process a test can kill (SIGKILL, as a crash or an outage) and start again: a private redis-server, an
// upstream in its own process. Started means: its stdout said `ready`.
import { spawn, type ChildProcess } from 'node:child_process';

export interface RestartableProcess {
  start(): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

export function restartableProcess(what: string, command: string, args: readonly string[], ready: string): RestartableProcess {
  let child: ChildProcess | undefined;
  return {
    async start() {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const started = child;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} did not start within 5 s`)), 5_000);
        started.once('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`${what} could not be started: ${err.message}`));
        });
        let seen = '';
        started.stdout!.on('data', (chunk: Buffer) => {
          seen = (seen + chunk.toString()).slice(-256);
          if (seen.includes(ready)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
}
