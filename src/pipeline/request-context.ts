// What the journey knows about one request, filled stage by stage. Later stages read what earlier ones wrote; the
// part forwarding needs is upstream/forward-context.ts, which this extends.
import type { VerifiedToken } from '../auth/claims.js';
import type { Identity } from '../auth/identity.js';
import type { GatewayError } from '../errors.js';
import type { LogPort } from '../observability/log-port.js';
import type { NormalizedTarget } from '../routing/normalize-path.js';
import type { RouteMatch } from '../routing/route-table.js';
import type { ForwardContext } from '../upstream/forward-context.js';
import type { StreamedBody } from '../upstream/streamed-body.js';

/** Who ended the exchange with a coded reply: a stage's name, or `listener` for the adapter's own checks. */
export interface Refusal {
  readonly stage: string;
  readonly error: GatewayError;
}

export interface RequestContext extends ForwardContext {
  /** The raw request-target as received: for the normalize stage only, never forwarded. */
  readonly rawTarget: string;
  /** performance.now() when the request arrived; undefined when the framework refused it before the journey began. */
  readonly startedAt: number | undefined;
  /** The request's logger (it carries the request id, and the trace id when tracing is on). */
  log: LogPort;
  target: NormalizedTarget | undefined;
  match: RouteMatch | undefined;
  /** The verified caller (filled by the authentication stage). */
  identity: Identity | undefined;
  /** The verified token behind `identity` (jti, iat, exp), for the revocation check. */
  token: VerifiedToken | undefined;
  /** The caller a verified mTLS client certificate names (`tls.clientSubject`), used when no token is sent. */
  clientCertificate?: VerifiedToken | undefined;
  /**
   * Headers the gateway adds for the upstream, rendered once the request is authorized (authorize.ts): identity,
   * `upstreamHeaders`, and the caller's Authorization where the route forwards it. Undefined values remove a header.
   */
  identityHeaders: Readonly<Record<string, string | undefined>>;
  /** Filled by the adapter once the body is read (read-body). */
  body: Buffer | StreamedBody | undefined;
  /** Headers the gateway adds to the client's response (RateLimit), whatever the upstream answers. */
  responseHeaders: Readonly<Record<string, string>> | undefined;
  /** Where the journey resumes once the adapter has read the body; undefined until a stage suspended it. */
  resumeAt: number | undefined;
  /** The coded reply that ended the exchange, and the stage that decided it; undefined while none did. */
  refusal: Refusal | undefined;
  /** What stages in shadow mode would have refused; undefined while none did. */
  shadowRefusals: Refusal[] | undefined;
  /** The permission code the authorize stage found missing or denied, for the refusal's log line and span. */
  denial?: { readonly code: string; readonly reason: 'missing' | 'denied' } | undefined;
  /** The response's status, set when the exchange is over, for the record. */
  status: number;
}
