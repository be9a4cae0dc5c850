// The request's journey, top to bottom, as one list. A new stage is one file and one line here.
//
//   normalize-path → match-route → guard-ip → check-body-size → authenticate → check-revocation → rate-limit
//   → authorize → read-body → forward → record
//
// journey-runner.ts runs it; server/data-plane.ts adapts HTTP to it (the runner hands the exchange back at read-body
// and the adapter resumes it once the body is read). docs/request-lifecycle.md draws it with every reply it can give.
import type { Authenticator } from '../auth/authenticator.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { OnStoreDown } from '../config/auth-types.js';
import type { LoadedConfig } from '../config/load.js';
import type { Authorizer } from '../rbac/authorizer.js';
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import { IdentityHeaderRenderer } from '../upstream/identity-headers.js';
import { authenticateStage } from './authenticate.js';
import { authorizeStage, type AuthorizationOutcomes } from './authorize.js';
import { checkBodySizeStage } from './check-body-size.js';
import { checkRevocationStage, type RevocationOutcomes } from './check-revocation.js';
import { forwardStage, type Forwarding, type WebSocketRelaying } from './forward.js';
import { guardIpStage } from './guard-ip.js';
import type { Journey } from './journey-runner.js';
import { matchRouteStage } from './match-route.js';
import { normalizePathStage } from './normalize-path.js';
import { rateLimitStage } from './rate-limit.js';
import { readBodyStage } from './read-body.js';
import { recordStage, type RecordDeps } from './record.js';
import { routeModes } from '../shadow/shadow-modes.js';
import type { Refusal, RequestContext } from './request-context.js';
import type { Stage, StageMode } from './stage.js';
import { withTracing } from './traced-stage.js';
import type { RequestTracer } from '../tracing/request-tracer.js';

export interface JourneyDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly authorization: AuthorizationOutcomes;
  /** Present when `auth` is configured. */
  readonly revocations: { readonly list: RevocationList; readonly onStoreDown: OnStoreDown; readonly outcomes: RevocationOutcomes } | undefined;
  /** Present when any route has a rate limit. */
  readonly rateLimiter: RateLimiter | undefined;
  readonly forwarder: Forwarding;
  /** Relays WebSocket handshakes on `websocket` routes; absent: every Upgrade is served as a plain request. */
  readonly websockets?: WebSocketRelaying | undefined;
  readonly record: RecordDeps;
  /** Present when `tracing` is configured: the journey then begins a trace and runs each stage in a span. */
  readonly tracer?: RequestTracer | undefined;
  /**
   * What is told of each refusal a stage in shadow mode would have made. Which stages shadow is each route's own
   * `shadow` (config); `stages` shadows journey stages on every route (a test seam).
   */
  readonly shadow?: { readonly stages?: ReadonlySet<string>; onRefusal(ctx: RequestContext, refusal: Refusal): void };
}

export function buildJourney({ config, routes }: LoadedConfig, deps: JourneyDeps): Journey {
  const { server } = config;
  const stages: Stage[] = withTracing(deps.tracer, [
    normalizePathStage({ caseInsensitive: server.paths.caseInsensitive, windows: server.paths.windows, urlLength: server.limits.urlLength }),
    matchRouteStage(routes),
    ...(deps.rateLimiter ? [guardIpStage(deps.rateLimiter)] : []),
    checkBodySizeStage(server.limits.bodySize),
    authenticateStage(deps.authenticator),
    ...(deps.revocations ? [checkRevocationStage(deps.revocations.list, deps.revocations.onStoreDown, deps.revocations.outcomes)] : []),
    ...(deps.rateLimiter ? [rateLimitStage(deps.rateLimiter)] : []),
    authorizeStage(deps.authorizer, deps.authorization, new IdentityHeaderRenderer(server)),
    readBodyStage(),
    forwardStage(deps.forwarder, deps.websockets),
    recordStage(deps.record),
  ]);
  const modes = modesOf(stages, deps.shadow?.stages);
  return {
    stages,
    modes,
    routeModes: routeModes(stages.map((stage) => stage.name), modes, routes.routes),
    onShadowRefusal: deps.shadow?.onRefusal ?? (() => {}),
  };
}

/** Throws when a stage that cannot be skipped (it produces what later stages need) is asked to run in shadow. */
function modesOf(stages: readonly Stage[], shadow: ReadonlySet<string> = new Set()): StageMode[] {
  const names = new Set(stages.map((stage) => stage.name));
  for (const name of shadow) {
    if (!names.has(name)) throw new Error(`no stage "${name}" in this journey`);
    if (!stages.find((stage) => stage.name === name)!.shadowable) throw new Error(`stage "${name}" cannot run in shadow mode: later stages need what it produces`);
  }
  return stages.map((stage) => (shadow.has(stage.name) ? 'shadow' : 'enforce'));
}
