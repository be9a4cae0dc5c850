// What the pipeline knows about one request, filled stage by stage. Later stages read what earlier ones wrote.
import type { IncomingHttpHeaders } from 'node:http';
import type { VerifiedToken } from '../auth/claims.js';
import type { Identity } from '../auth/identity.js';
import type { NormalizedTarget } from '../routing/normalize-path.js';
import type { RouteMatch } from '../routing/route-table.js';
import type { BreakerCall } from '../upstream/circuit-breaker.js';
import type { ClientAddress } from '../upstream/client-address.js';

export interface RequestContext {
  readonly requestId: string;
  readonly method: string;
  /** The raw request-target as received: for the normalize stage only, never forwarded. */
  readonly rawTarget: string;
  /** The client's headers as received (read-only: the upstream's set is built in upstream/request-headers.ts). */
  readonly headers: IncomingHttpHeaders;
  readonly client: ClientAddress;
  readonly proto: 'http' | 'https';
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  target: NormalizedTarget | undefined;
  match: RouteMatch | undefined;
  /** The verified caller (filled by the authentication stage). */
  identity: Identity | undefined;
  /** The verified token behind `identity` (jti, iat, exp), for the revocation check. */
  token: VerifiedToken | undefined;
  /**
   * Headers the gateway adds for the upstream, rendered once the request is authorized (authorize.ts): identity,
   * `upstreamHeaders`, and the caller's Authorization where the route forwards it. Undefined values remove a header.
   */
  identityHeaders: Readonly<Record<string, string | undefined>>;
  /** performance.now() when the request was handed to the upstream; undefined for a local reply. */
  forwardedAt: number | undefined;
  /** performance.now() when the upstream's response head (or its failure) arrived. */
  upstreamDoneAt: number | undefined;
  /** Headers the gateway adds to the client's response (RateLimit), whatever the upstream answers. */
  responseHeaders: Readonly<Record<string, string>> | undefined;
  /** The breaker call this request's forwarding counts in, settled by its outcome. */
  breakerCall: BreakerCall | undefined;
}
