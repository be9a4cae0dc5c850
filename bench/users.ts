// Many distinct callers for the bench (issue 12): a subject, a token and a client address per user, and the header
// sets the load generator cycles through. Built once before the runs, so the load generator only sends bytes.
import { benchToken, type Scenario } from './scenarios.js';

export interface BenchUser {
  readonly subject: string;
  /** The client address the user's requests carry in X-Forwarded-For (the bench's permgate trusts 127.0.0.1). */
  readonly address: string;
}

/**
 * `count` users with distinct subjects and distinct client addresses (10.0.0.0/8, one per user up to 16 million).
 * @example benchUsers(2) // [{ subject: 'bench-user-00000', address: '10.0.0.1' }, { subject: 'bench-user-00001', address: '10.0.0.2' }]
 */
export function benchUsers(count: number): BenchUser[] {
  if (!Number.isInteger(count) || count < 1 || count >= 0xffffff) throw new RangeError(`bench users: 1 to 16,777,214, got ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    return { subject: `bench-user-${String(i).padStart(5, '0')}`, address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
  });
}

/** One header set per user: its own bearer token and its own forwarded client address. */
export async function userHeaders(users: readonly BenchUser[]): Promise<Record<string, string>[]> {
  const tokens = await Promise.all(users.map((user, i) => benchToken(user.subject, `bench-${i}`)));
  return users.map((user, i) => ({ authorization: `Bearer ${tokens[i]!}`, 'x-forwarded-for': user.address }));
}

/** `GET /api/orders/1` (order:read through RBAC) from every user in turn. */
export function manyUsersScenario(name: string, variants: readonly Readonly<Record<string, string>>[]): Scenario {
  if (variants.length === 0) throw new RangeError('a many-user scenario needs at least one user');
  return { name, method: 'GET', path: '/api/orders/1', headers: variants[0]!, headerVariants: variants };
}

/**
 * The share of `list` that connection `connection` of `connections` cycles through: every `connections`-th item from
 * its own offset. Every connection of autocannon starts its list at the first item, so one shared list would send
 * only its first few hundred users in a short run; strided slices reach every user whatever the run's length.
 * @example connectionShare(['a', 'b', 'c', 'd', 'e'], 1, 2) // ['b', 'd']
 * @example connectionShare(['a'], 3, 50) // ['a']
 */
export function connectionShare<T>(list: readonly T[], connection: number, connections: number): T[] {
  if (list.length === 0) return [];
  const share: T[] = [];
  for (let i = connection % list.length; i < list.length; i += connections) share.push(list[i]!);
  return share;
}
