// Parts of the forwarding plan that outlive a config reload when what they were built from is unchanged: breakers
// (an open breaker must stay open, or every reload during an outage would send a fresh wave of requests at a failing
// upstream) and last-good caches (the fallback they hold is what an open breaker serves). Each part is filed under a
// key that spells out everything it depends on, so a changed part is built anew and an unchanged one is reused.
export class CarriedOver<T> {
  readonly #parts = new Map<string, T>();

  constructor(private readonly dispose: (part: T) => void = () => {}) {}

  /** The part filed under `key`, made now if there is none. */
  obtain(key: string, make: () => T): T {
    let part = this.#parts.get(key);
    if (part === undefined) {
      part = make();
      this.#parts.set(key, part);
    }
    return part;
  }

  /**
   * Keeps the parts under `keys` (the config now in force) and disposes of the rest. A request still running under
   * the previous config may settle on a disposed part; that is harmless, as nothing reads it again.
   */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const [key, part] of this.#parts) {
      if (keys.has(key)) continue;
      this.#parts.delete(key);
      this.dispose(part);
    }
  }

  /** Every part held now. */
  values(): IterableIterator<T> {
    return this.#parts.values();
  }

  clear(): void {
    this.keepOnly(new Set());
  }
}

/** A stable key for a config value: objects with sorted keys, sets as sorted lists. */
export function configKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Set) return [...(v as Set<unknown>)].sort();
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
