// Where open WebSockets are counted across instances (rateLimits.connections): a store family that is shared (Redis)
// implements it; without one each instance counts its own (socket-registry.ts).

/** One bound to count a connection under: a key (the caller's, the address's) and how many it may hold. */
export interface CountedPlace {
  readonly key: string;
  readonly limit: number;
}

export interface ConnectionCountStore {
  /**
   * Counts connection `id` under every place, all or nothing: undefined when it was counted, or the index of the
   * place already at its bound (nothing counted then). A count lapses at `until` (ms since the epoch) unless renewed,
   * so the places of an instance that died free themselves. Rejects when the store cannot answer.
   */
  take(id: string, places: readonly CountedPlace[], until: number): Promise<number | undefined>;
  /** Moves the lapse of these connections' counts to `until`. */
  renew(counted: readonly { readonly id: string; readonly keys: readonly string[] }[], until: number): Promise<void>;
  release(id: string, keys: readonly string[]): Promise<void>;
}
