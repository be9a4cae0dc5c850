// The versioned feed of a store that lives in this process: a write and its announcement are one synchronous call,
// so nothing is ever missed and the feed is always current.
import type { Announced, Feed, FeedListener } from '../feed.js';

export class MemoryFeed<C extends object> implements Feed<C> {
  #listener: FeedListener<C> | undefined;
  #version = 0;

  async start(listener: FeedListener<C>): Promise<void> {
    this.#listener = listener;
  }

  isCurrent(): boolean {
    return true;
  }

  confirmCurrent(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.#listener = undefined;
  }

  /**
   * Runs `commit`, which makes a change and returns it (undefined when it changed nothing), and announces the change
   * with the next version; the listener has it when this returns.
   * @example feed.write(() => (map.delete(name) ? { kind: 'subject', name } : undefined));
   */
  write(commit: () => C | undefined): Announced<C> | undefined {
    const change = commit();
    if (change === undefined) return undefined;
    const announced: Announced<C> = { ...change, version: ++this.#version };
    this.#listener?.apply(announced);
    return announced;
  }
}
