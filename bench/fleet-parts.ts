// Which parts of `npm run bench:fleet` to run: each takes minutes, so each can be run alone.

export const PARTS = ['users', 'workers', 'reuseport', 'latency', 'topologies'] as const;
export type Part = (typeof PARTS)[number];

/**
 * The parts named in `args` or in `env` (BENCH_FLEET, comma-separated), in the bench's own order; all when none is named.
 * @example selectParts(['latency'], 'users') // ['users', 'latency']
 */
export function selectParts(args: readonly string[], env: string | undefined): Part[] {
  const named = [...args, ...(env ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
  for (const name of named) if (!(PARTS as readonly string[]).includes(name)) throw new Error(`unknown part "${name}"; the parts are ${PARTS.join(', ')}`);
  return named.length === 0 ? [...PARTS] : PARTS.filter((part) => named.includes(part));
}
