// Stopping a process that serves the data plane (a single gateway, cli.ts, or a fleet worker, fleet/worker.ts) on
// SIGTERM/SIGINT: readiness turns 503 at once, requests are served for server.drainDelay (load balancers stop
// sending meanwhile), in-flight ones finish, then exit 0. The one place that sequence lives, so both agree.
import type { Gateway } from './gateway.js';

/** Past the drain delay and timeout, how long before a drain that still hangs ends in exit 1. */
const LAST_RESORT = 10_000;

export interface DrainAndExitOptions {
  /** The log line announcing the drain. */
  readonly message: string;
  /** The log field that says what began it. */
  readonly field: 'signal' | 'why';
  /** Runs once the gateway has closed, before the exit (the example backends of `start --example-backends`). */
  readonly after?: () => Promise<unknown>;
}

/**
 * Drains `gateway` and exits on SIGTERM or SIGINT; returns the same stop for other causes (a worker whose primary
 * is gone, or whose primary drains the fleet). Only the first cause counts. `stopAcceptingAt` (ms since the epoch)
 * replaces server.drainDelay by a moment the caller chose: a fleet's workers then close their listeners together.
 */
export function drainAndExit(gateway: Gateway, options: DrainAndExitOptions): (cause: string, stopAcceptingAt?: number) => void {
  let stopping = false;
  const stop = (cause: string, stopAcceptingAt?: number): void => {
    if (stopping) return;
    stopping = true;
    const { drainTimeout } = gateway.config.config.server;
    const drainDelay = stopAcceptingAt === undefined ? gateway.config.config.server.drainDelay : Math.max(0, stopAcceptingAt - Date.now());
    gateway.app.log.info({ [options.field]: cause, drainDelay, drainTimeout }, options.message);
    // close() cuts what is left at the drain deadline; this is the last resort if something still hangs after it.
    setTimeout(() => process.exit(1), drainDelay + drainTimeout + LAST_RESORT).unref();
    void gateway
      .close({ drainDelay })
      .then(() => options.after?.())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}
