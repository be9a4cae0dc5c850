// What the bench sends: each scenario is one request, as data, sent unchanged to every target that serves it.
import type autocannon from 'autocannon';
import { SignJWT } from 'jose';

export type HttpMethod = NonNullable<autocannon.Options['method']>;

export interface Scenario {
  readonly name: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Many callers: each request adds one of these header sets (one per user), spread over the connections by
   * bench/load.ts. The first set is also in `headers`, so a single request (the preflight) is a valid one.
   */
  readonly headerVariants?: readonly Readonly<Record<string, string>>[];
}

/** The HS256 secret the bench's permgate runs with, so the bench can sign its own tokens. Never a real one. */
export const BENCH_JWT_SECRET = 'permgate-bench-secret-of-at-least-32-bytes';

/**
 * A token the shipped config accepts (its default issuer and audience) for `alice`, whom the shipped `rbac` section
 * makes an editor: `order:read` comes from the role she inherits (viewer), so the RBAC engine decides, not a scope.
 * The many-user scenarios (bench/users.ts) sign one per bench subject, each with its own `jti`.
 */
export async function benchToken(subject = 'alice', jti = 'bench'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer('permgate-dev')
    .setAudience('permgate')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET));
}

export const PUBLIC_ROUTE = 'public route';
export const AUTHENTICATED_ROUTE = 'token + revocation + RBAC';

/** The direct and bare-proxy targets get the same requests; only permgate checks anything. */
export function scenarios(token: string): readonly Scenario[] {
  return [
    // `auth: none` in the shipped config: canonicalize, match, rate limits, forward to `orders`.
    { name: PUBLIC_ROUTE, method: 'GET', path: '/public/hello' },
    // The above plus token verification, the revocation check and RBAC (order:read, inherited through a role).
    { name: AUTHENTICATED_ROUTE, method: 'GET', path: '/api/orders/1', headers: { authorization: `Bearer ${token}` } },
  ];
}

/** What may be written to results: the request without header values, which may hold credentials. */
export function describeScenario(scenario: Scenario): { name: string; method: HttpMethod; path: string; headers: string[]; headerVariants: number } {
  return { name: scenario.name, method: scenario.method, path: scenario.path, headers: Object.keys(scenario.headers ?? {}), headerVariants: scenario.headerVariants?.length ?? 0 };
}
