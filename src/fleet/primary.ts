// The fleet primary (issue 12, `server.workers` > 1): supervises N node:cluster workers that share the data-plane
// listener (or, with server.reusePort, each bind their own), and serves the admin (and status) listener once, on a
// gateway of its own that never listens on the data plane. Its admin writes go to the shared store, whose feed every
// worker follows. Its /readyz lists every worker (pid, ready, restarts) and is 503 while none is ready, from the
// readiness each worker reports. It validates every reload before any worker sees it and reloads them in two phases;
// merges their metrics into one scrape; restarts a dead worker with backoff (restart-policy.ts) and gives up, exit 1,
// when workers keep dying at start; on SIGTERM drains them all, stopping them from accepting at one moment, and
// exits 0.
import cluster, { type Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, parseConfig, type LoadedConfig } from '../config/load.js';
import { buildGateway, type FleetHooks, type Gateway } from '../gateway.js';
import { reusePortChoice } from '../server/reuse-port.js';
import { FleetMetrics, FleetRegistry, type MetricsJson } from './fleet-metrics.js';
import { RestartPolicy, RESTART_POLICY, type RestartPolicyOptions } from './restart-policy.js';
import { READINESS_STALE, toPrimary, wrap, type ConfigText, type ToPrimary, type ToWorker } from './worker-link.js';

/** How long a worker may take to build a candidate config (phase one) and to swap it in (phase two). */
const PREPARE_DEADLINE = 10_000;
const COMMIT_DEADLINE = 5_000;
/** Beyond the drain delay and timeout, how long the primary waits for workers to exit before it kills them. */
const EXIT_GRACE = 5_000;

export interface FleetOptions {
  readonly file: string;
  readonly workers: number;
  readonly restart?: RestartPolicyOptions;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  startedAt: number;
  /** Listening on the data plane (set by its `serving` message). */
  served: boolean;
  /** The config generation it serves. */
  generation: number;
  /** The last reason it gave for failing (start-failed, crashed). */
  reason: string | undefined;
  /** Workers started again in this slot after one died. */
  restarts: number;
  /** Its last readiness report, and when it came. */
  report: { readonly ready: boolean; readonly at: number } | undefined;
}

type Reply = Extract<ToPrimary, { id: number }>;

/** Starts the fleet; resolves once every worker serves (or the process exits, when they keep dying at start). */
export async function runPrimary(loaded: LoadedConfig, options: FleetOptions): Promise<number> {
  const policy = new RestartPolicy(options.restart ?? RESTART_POLICY);
  const texts = new WeakMap<LoadedConfig, string>();
  async function load(file: string): Promise<LoadedConfig> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return loadConfig(file); // the same ConfigError a single process gives for a missing or unreadable file
    }
    const parsed = parseConfig(text, file);
    texts.set(parsed, text);
    return parsed;
  }
  // The config workers start on is the text read now (validated again), not the file as it may be later.
  const first = await load(options.file).catch(() => loaded);
  let inForce: ConfigText = { file: options.file, text: texts.get(first) ?? '', generation: 1 };

  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({ index, worker: undefined, startedAt: 0, served: false, generation: 0, reason: undefined, restarts: 0, report: undefined }));
  const pending = new Map<number, { readonly pid: number; resolve(reply: Reply | undefined): void }>();
  let nextId = 1;
  let stopping = false;
  let fleetMetrics: FleetMetrics | undefined;
  const alive = (slot: Slot): slot is Slot & { worker: Worker } => slot.worker !== undefined && slot.worker.process.exitCode === null && slot.worker.process.signalCode === null;
  const serving = (): (Slot & { worker: Worker })[] => slots.filter((slot): slot is Slot & { worker: Worker } => alive(slot) && slot.served);

  function post(slot: Slot, message: ToWorker): void {
    if (alive(slot) && slot.worker.isConnected()) slot.worker.send(wrap(message));
  }
  /** Sends `message` and waits for the reply with its id, or undefined after `deadline` (or when the worker exits). */
  function ask(slot: Slot & { worker: Worker }, message: Extract<ToWorker, { id: number }>, deadline: number): Promise<Reply | undefined> {
    const { id } = message;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), deadline);
      function settle(reply: Reply | undefined): void {
        clearTimeout(timer);
        pending.delete(id);
        resolve(reply);
      }
      pending.set(id, { pid: slot.worker.process.pid!, resolve: settle });
      post(slot, message);
    });
  }

  const hooks: FleetHooks = {
    load,
    async prepare(candidate) {
      const text = texts.get(candidate);
      if (text === undefined) throw new Error('a fleet reloads only a config it read itself');
      const next: ConfigText = { file: candidate.config.file, text, generation: inForce.generation + 1 };
      const asked = serving();
      const replies = await Promise.all(asked.map((slot) => ask(slot, { kind: 'prepare', id: nextId++, ...next }, PREPARE_DEADLINE)));
      const refusals = asked.flatMap((slot, i) => {
        const reply = replies[i];
        if (reply?.kind === 'prepared' && reply.ok) return [];
        const why = reply === undefined ? `no answer within ${PREPARE_DEADLINE} ms` : reply.kind === 'prepared' && !reply.ok ? reply.reason : 'an unexpected answer';
        return [`worker ${slot.index + 1} (pid ${slot.worker.process.pid}) could not prepare it: ${why}`];
      });
      if (refusals.length > 0) {
        asked.forEach((slot, i) => replies[i] !== undefined && post(slot, { kind: 'discard', id: replies[i]!.id }));
        throw new ConfigError(refusals.map((message) => ({ location: { file: next.file, line: 0, column: 0 }, keyPath: '', message: `${message}; nothing changed on any worker` })));
      }
      return {
        async commit() {
          inForce = next;
          const acks = await Promise.all(asked.map((slot, i) => (alive(slot) ? ask(slot, { kind: 'commit', id: replies[i]!.id }, COMMIT_DEADLINE) : undefined)));
          const late = asked.filter((_, i) => acks[i] === undefined).map((slot) => slot.index + 1);
          if (late.length > 0) log().warn({ workers: late }, 'workers did not confirm the reload in time; they are brought up to date or replaced');
          // Workers that started while this reload ran were not asked: bring them up to date now.
          for (const slot of serving()) if (!asked.includes(slot)) void catchUp(slot);
        },
      };
    },
    stopping: () => stopping,
    workers: () => slots.map((slot) => ({
      pid: slot.worker?.process.pid ?? 0,
      ready: alive(slot) && slot.served && slot.report !== undefined && slot.report.ready && Date.now() - slot.report.at < READINESS_STALE,
      restarts: slot.restarts,
    })),
    exposition(own) {
      fleetMetrics = new FleetMetrics(own);
      return new FleetRegistry(own, (deadline) => Promise.all(serving().map(async (slot) => {
        const reply = await ask(slot, { kind: 'gather', id: nextId++ }, deadline);
        return reply?.kind === 'gathered' ? (reply.metrics as MetricsJson) : undefined;
      })), fleetMetrics);
    },
  };

  /** A worker serving an older config (it started during a reload) gets the one in force; one that cannot take it is replaced. */
  async function catchUp(slot: Slot & { worker: Worker }): Promise<void> {
    const target = inForce;
    if (slot.generation === target.generation) return;
    const reply = await ask(slot, { kind: 'prepare', id: nextId++, ...target }, PREPARE_DEADLINE);
    if (reply?.kind === 'prepared' && reply.ok) {
      await ask(slot, { kind: 'commit', id: reply.id }, COMMIT_DEADLINE);
      return;
    }
    log().error({ worker: slot.index + 1, reason: reply?.kind === 'prepared' && !reply.ok ? reply.reason : 'no answer' }, 'a worker could not take the config in force; replacing it');
    slot.worker.process.kill('SIGKILL');
  }

  let gateway: Gateway | undefined;
  const log = (): Gateway['app']['log'] => gateway!.app.log;
  let booted: (() => void) | undefined;

  function fork(slot: Slot): void {
    const worker = cluster.fork();
    Object.assign(slot, { worker, startedAt: Date.now(), served: false, generation: 0, reason: undefined, report: undefined });
    const pid = worker.process.pid!;
    updateGauge();
    worker.on('message', (raw: unknown) => {
      const message = toPrimary(raw);
      if (message === undefined) return;
      switch (message.kind) {
        case 'want-config':
          return post(slot, { kind: 'start', ...inForce });
        case 'serving':
          slot.served = true;
          slot.generation = message.generation;
          policy.served();
          updateGauge();
          log().info({ worker: slot.index + 1, pid }, 'worker serving');
          if (serving().length === slots.length) booted?.();
          if (alive(slot)) void catchUp(slot);
          return;
        case 'readiness':
          slot.report = { ready: message.ready, at: Date.now() };
          return;
        case 'start-failed':
        case 'crashed':
          slot.reason = message.reason;
          return;
        case 'committed':
          slot.generation = message.generation;
          pending.get(message.id)?.resolve(message);
          return;
        default:
          pending.get(message.id)?.resolve(message);
      }
    });
    worker.on('exit', (code, signal) => {
      for (const request of pending.values()) if (request.pid === pid) request.resolve(undefined);
      updateGauge();
      if (stopping) return;
      const lived = Date.now() - slot.startedAt;
      const died = { worker: slot.index + 1, pid, code, signal, lived, reason: slot.reason };
      const decision = policy.died(slot.index, { lived, served: slot.served });
      if (decision.action === 'give-up') {
        const last = slot.reason ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
        process.stderr.write(`permgate: workers keep dying at start (${decision.failures} in a row); the last: ${last}\n`);
        for (const other of slots) if (alive(other)) other.worker.process.kill('SIGKILL');
        process.exit(1);
      }
      fleetMetrics?.restarts.inc({ reason: slot.served ? 'crashed' : 'start-failed' });
      log().warn({ ...died, restartIn: decision.delay }, slot.served ? 'worker died; restarting it' : 'worker died at start; restarting it');
      slot.restarts++;
      setTimeout(() => !stopping && fork(slot), decision.delay);
    });
  }

  function updateGauge(): void {
    const up = slots.filter(alive);
    fleetMetrics?.workers.set({ state: 'serving' }, up.filter((slot) => slot.served).length);
    fleetMetrics?.workers.set({ state: 'starting' }, up.filter((slot) => !slot.served).length);
  }

  gateway = await buildGateway(first, { fleet: hooks });
  // Workers open the data listeners, each deciding the same (gateway.ts); the instance says once which it is.
  const { server: settings } = first.config;
  const sharing = reusePortChoice(settings.reusePort, { fleet: true, listeners: settings.listeners });
  if (settings.reusePort !== false) log().info({ reusePort: sharing.reusePort }, sharing.reason);
  // Workers run the permgate command (cli.ts), which sees cluster.isWorker and runs worker.ts; the config reaches
  // them over IPC, so `-c` is only for their process listing.
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../cli.js', import.meta.url)), args: ['start', '-c', options.file] });
  await new Promise<void>((resolve) => {
    booted = resolve;
    for (const slot of slots) fork(slot);
  });
  booted = undefined;
  const { adminUrl, statusUrl } = await gateway.listen({ dataPlane: false, admin: true });
  const { server } = gateway.config.config;
  log().info({ urls: server.listeners.map((l) => `${l.tls ? 'https' : 'http'}://${l.host}:${l.port}`), adminUrl, statusUrl, workers: slots.length, config: options.file, store: gateway.store.kind }, 'permgate listening');

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const { drainDelay, drainTimeout } = gateway!.config.config.server;
    log().info({ signal, workers: serving().length, drainDelay, drainTimeout }, 'draining every worker and stopping');
    const running = slots.filter(alive);
    // One moment for every worker to stop accepting. With reusePort each worker owns a listening socket, and Linux
    // resets the connections waiting in a socket's accept queue when it closes: a worker closing before the others
    // would lose those while the others still serve. (The shared socket passed them on to a worker still open.)
    const stopAcceptingAt = Date.now() + drainDelay;
    for (const slot of running) {
      // A worker not serving yet gets the signal, as before: it ends at once (or drains, if it has just begun to serve).
      if (slot.served && slot.worker.isConnected()) post(slot, { kind: 'drain', stopAcceptingAt });
      else slot.worker.process.kill('SIGTERM');
    }
    const exits = running.map((slot) => new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        slot.worker.process.kill('SIGKILL');
        resolve(false);
      }, drainDelay + drainTimeout + EXIT_GRACE);
      slot.worker.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    }));
    void Promise.all(exits).then(async (clean) => {
      await gateway!.close();
      process.exit(clean.every(Boolean) ? 0 : 1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void gateway!.reload().catch(() => {}));
  return -1;
}
