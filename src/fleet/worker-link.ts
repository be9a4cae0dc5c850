// The messages a fleet primary and its workers exchange over the cluster IPC channel (issue 12 "Worker processes"),
// one tagged union per direction, and the one check every received message passes before it is acted on.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** A config as the primary validated it: workers parse this text, never the file on disk (it may have changed). */
export interface ConfigText {
  readonly file: string;
  readonly text: string;
  /** Counts accepted configs (1 at start); a worker that serves an older one is brought up to date. */
  readonly generation: number;
}

export type ToWorker =
  /** The config in force, in answer to `want-config`: build the gateway and listen. */
  | ({ readonly kind: 'start' } & ConfigText)
  /** Reload, phase one: build a Runtime for this config and hold it. */
  | ({ readonly kind: 'prepare'; readonly id: number } & ConfigText)
  /** Reload, phase two: swap the held Runtime in. */
  | { readonly kind: 'commit'; readonly id: number }
  /** Another worker could not prepare (or the primary gave up): drop the held Runtime. */
  | { readonly kind: 'discard'; readonly id: number }
  /** Send this process's metrics (prom-client JSON). */
  | { readonly kind: 'gather'; readonly id: number }
  /**
   * Drain and exit: not ready now, stop accepting at `stopAcceptingAt` (ms since the epoch), the same moment for
   * every worker. Each worker timing its own delay from when it got a signal would let them close their sockets apart.
   */
  | { readonly kind: 'drain'; readonly stopAcceptingAt: number };

export type ToPrimary =
  | { readonly kind: 'want-config' }
  /** Listening on the data plane, on config `generation`. */
  | { readonly kind: 'serving'; readonly generation: number }
  /** The worker could not start (and is exiting): why, in one line, for the supervisor's log and crash-loop exit. */
  | { readonly kind: 'start-failed'; readonly reason: string }
  | { readonly kind: 'prepared'; readonly id: number; readonly ok: true }
  | { readonly kind: 'prepared'; readonly id: number; readonly ok: false; readonly reason: string }
  | { readonly kind: 'committed'; readonly id: number; readonly generation: number }
  | { readonly kind: 'gathered'; readonly id: number; readonly metrics: MetricObjectWithValues<MetricValue<string>>[] }
  /** Its own readiness (its /readyz rule answered 200), sent every READINESS_EVERY ms while it runs. */
  | { readonly kind: 'readiness'; readonly ready: boolean }
  /** About to exit on an uncaught error: the reason the supervisor logs. */
  | { readonly kind: 'crashed'; readonly reason: string };

const TO_WORKER: ReadonlySet<string> = new Set<ToWorker['kind']>(['start', 'prepare', 'commit', 'discard', 'gather', 'drain']);
const TO_PRIMARY: ReadonlySet<string> = new Set<ToPrimary['kind']>(['want-config', 'serving', 'start-failed', 'prepared', 'committed', 'gathered', 'readiness', 'crashed']);

/** How often a worker reports its readiness to the primary. */
export const READINESS_EVERY = 250;
/**
 * A worker whose last report is older than this counts as not ready: a hung worker (its event loop blocked, the
 * process stopped) sends nothing, and the primary's /readyz must not wait for it.
 */
export const READINESS_STALE = 2_000;

/** Messages carry this field, so cluster's own messages and anything else on the channel are told apart. */
export const CHANNEL = 'permgate-fleet';

type Wrapped<M> = { readonly channel: typeof CHANNEL; readonly message: M };

export const wrap = <M extends ToWorker | ToPrimary>(message: M): Wrapped<M> => ({ channel: CHANNEL, message });

function unwrap(raw: unknown, kinds: ReadonlySet<string>): unknown {
  if (typeof raw !== 'object' || raw === null || (raw as { channel?: unknown }).channel !== CHANNEL) return undefined;
  const message = (raw as { message?: unknown }).message;
  if (typeof message !== 'object' || message === null) return undefined;
  const kind = (message as { kind?: unknown }).kind;
  return typeof kind === 'string' && kinds.has(kind) ? message : undefined;
}

/** The message a worker received, or undefined when it is not one of ours. */
export const toWorker = (raw: unknown): ToWorker | undefined => unwrap(raw, TO_WORKER) as ToWorker | undefined;

/** The message the primary received, or undefined when it is not one of ours. */
export const toPrimary = (raw: unknown): ToPrimary | undefined => unwrap(raw, TO_PRIMARY) as ToPrimary | undefined;

/** One line of an error for a log field or a message: never a stack. */
export const reasonOf = (err: unknown): string => {
  const text = err instanceof Error ? ((err as { code?: unknown }).code ? `${String((err as { code?: unknown }).code)}: ${err.message}` : err.message) : String(err);
  return text.split('\n')[0]!.slice(0, 500);
};
