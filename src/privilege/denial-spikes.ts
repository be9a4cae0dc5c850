// Finds subjects whose denials spike: `threshold` refusals within one `window` flags the subject once. Each subject
// counts in a fixed window that starts at its first denial; a subject still over the threshold in the next window
// stays flagged without a second alarm, and is flagged again only after a window below it (or a quiet gap). Probing
// and broken clients show up as one event each, not one per request. Memory is bounded: MAX_SUBJECTS windows (LRU).
import { LRUCache } from 'lru-cache';
import type { DenialSpikeConfig } from '../config/rbac-types.js';

/** Subjects whose window is kept; a subject pushed out starts a fresh window (it can be flagged again, never lost). */
export const MAX_SUBJECTS = 10_000;

export interface DenialSpike {
  readonly subject: string;
  /** Denials in the window when the threshold was reached. */
  readonly denials: number;
  /** When the window began (ms since the epoch). */
  readonly since: number;
  readonly at: number;
}

interface Window {
  readonly start: number;
  count: number;
  /** Flagged in this window, or carried over from a window that was over the threshold too. */
  flagged: boolean;
}

export class DenialSpikeDetector {
  readonly #windows = new LRUCache<string, Window>({ max: MAX_SUBJECTS });

  /** Counts one denial of `subject` at `at`; returns the spike when this denial reaches the threshold first. */
  observe(subject: string, at: number, config: DenialSpikeConfig): DenialSpike | undefined {
    if (config.threshold === 0) return undefined;
    let window = this.#windows.get(subject);
    if (window === undefined || at - window.start >= config.window) {
      // Still spiking: the window just ended was over the threshold and this one follows it directly.
      const carried = window !== undefined && window.count >= config.threshold && at - window.start < 2 * config.window;
      this.#windows.set(subject, (window = { start: at, count: 0, flagged: carried }));
    }
    window.count++;
    if (window.flagged || window.count < config.threshold) return undefined;
    window.flagged = true;
    return { subject, denials: window.count, since: window.start, at };
  }
}
