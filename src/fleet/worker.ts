// A fleet worker (issue 12): serves the data plane only, on the config text the primary hands it (never the file on
// disk, which may have changed since it was validated); reloads in two phases when the primary says so; answers the
// primary's metrics gathers; reports its readiness to the primary; drains as a single process does, on SIGTERM or
// when the primary says (stopping to accept at the moment it names, as every other worker). Revocations and RBAC
// reach it through the store's own feed (each worker subscribes), not through the primary.
import { ConfigError, formatIssue } from '../config/config-error.js';
import { parseConfig } from '../config/load.js';
import { drainAndExit } from '../drain-and-exit.js';
import { buildGateway, type Gateway, type PreparedReload } from '../gateway.js';
import { loggerOptions } from '../observability/logger.js';
import { READINESS_EVERY, reasonOf, toWorker, wrap, type ConfigText, type ToPrimary } from './worker-link.js';

function send(message: ToPrimary): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(wrap(message), undefined, {}, () => resolve());
  });
}

const problem = (err: unknown): string => (err instanceof ConfigError ? err.issues.map(formatIssue).join('; ') : reasonOf(err));

/** Runs until SIGTERM (exit 0) or a failure (exit 1); resolves with -1 so the caller keeps the process alive. */
export async function runWorker(): Promise<number> {
  process.on('uncaughtException', (err) => {
    process.stderr.write(`permgate worker ${process.pid}: ${err.stack ?? String(err)}\n`);
    void send({ kind: 'crashed', reason: reasonOf(err) }).finally(() => process.exit(1));
  });
  // The primary reloads the whole fleet; a SIGHUP sent to the process group must not end (or reload) one worker.
  process.on('SIGHUP', () => {});

  const first = await new Promise<ConfigText>((resolve) => {
    const listener = (raw: unknown): void => {
      const message = toWorker(raw);
      if (message?.kind !== 'start') return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
    void send({ kind: 'want-config' });
  });

  let gateway: Gateway;
  try {
    const loaded = parseConfig(first.text, first.file);
    // Every line a worker logs names it, so an operator (and a test) can tell the workers apart.
    const logger = { ...(loggerOptions(loaded.config.server) as object), base: { service: 'permgate', worker: process.pid } };
    gateway = await buildGateway(loaded, { logger });
    await gateway.listen({ dataPlane: true, admin: false });
  } catch (err) {
    await send({ kind: 'start-failed', reason: problem(err) });
    process.exit(1);
  }
  const log = gateway.app.log;
  let generation = first.generation;
  const held = new Map<number, { prepared: PreparedReload; generation: number }>();

  process.on('message', (raw: unknown) => {
    const message = toWorker(raw);
    if (message === undefined) return;
    switch (message.kind) {
      case 'start':
        return;
      case 'prepare':
        void (async (): Promise<void> => {
          try {
            const prepared = await gateway.prepare(parseConfig(message.text, message.file));
            held.set(message.id, { prepared, generation: message.generation });
            await send({ kind: 'prepared', id: message.id, ok: true });
          } catch (err) {
            await send({ kind: 'prepared', id: message.id, ok: false, reason: problem(err) });
          }
        })();
        return;
      case 'commit': {
        const candidate = held.get(message.id);
        if (candidate === undefined) return;
        held.delete(message.id);
        const result = candidate.prepared.commit();
        generation = candidate.generation;
        log.info({ ...result, generation }, 'config reloaded (fleet)');
        void send({ kind: 'committed', id: message.id, generation });
        return;
      }
      case 'discard':
        held.get(message.id)?.prepared.discard();
        held.delete(message.id);
        return;
      case 'gather':
        void gateway.metrics.own.getMetricsAsJSON().then((metrics) => send({ kind: 'gathered', id: message.id, metrics }));
        return;
      case 'drain':
        return stop('the primary drains the fleet', message.stopAcceptingAt);
    }
  });

  const stop = drainAndExit(gateway, { message: 'worker draining and stopping', field: 'why' });
  // The primary is gone (killed): nobody supervises this worker any more, and the next instance will bind the port.
  process.on('disconnect', () => stop('primary gone'));

  // The primary's /readyz lists every worker: each reports what its own readiness rule says (admin.inject runs the
  // /readyz handler without an admin listener), so a worker cut off from the store or draining is not counted ready.
  const report = async (): Promise<void> => {
    const answer = await gateway.admin.inject({ method: 'GET', url: '/readyz' }).catch(() => undefined);
    await send({ kind: 'readiness', ready: answer?.statusCode === 200 });
  };
  await report();
  setInterval(() => void report(), READINESS_EVERY).unref();
  await send({ kind: 'serving', generation });
  return -1;
}
