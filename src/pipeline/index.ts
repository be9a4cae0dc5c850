// The request's journey, top to bottom. A new stage is one file and one line here.
//
//   normalize-path → match-route → guard-ip → check-body-size → authenticate → check-revocation → rate-limit
//   → authorize → [forward] → [record]
//
// Forwarding (upstream/forward.ts) and recording (gateway.ts, onResponse) follow once every stage has passed.
import type { Authenticator } from '../auth/authenticator.js';
import type { LoadedConfig } from '../config/load.js';
import type { Authorizer } from '../rbac/authorizer.js';
import { authenticateStage } from './authenticate.js';
import { authorizeStage, type AuthorizationOutcomes } from './authorize.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { OnStoreDown } from '../config/auth-types.js';
import { checkBodySizeStage } from './check-body-size.js';
import { checkRevocationStage, type RevocationOutcomes } from './check-revocation.js';
import { guardIpStage } from './guard-ip.js';
import { rateLimitStage } from './rate-limit.js';
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import { matchRouteStage } from './match-route.js';
import { normalizePathStage } from './normalize-path.js';
import { IdentityHeaderRenderer } from '../upstream/identity-headers.js';
import type { Stage } from './stage.js';

export interface JourneyDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly authorization: AuthorizationOutcomes;
  /** Present when `auth` is configured. */
  readonly revocations: { readonly list: RevocationList; readonly onStoreDown: OnStoreDown; readonly outcomes: RevocationOutcomes } | undefined;
  /** Present when any route has a rate limit. */
  readonly rateLimiter: RateLimiter | undefined;
}

export function buildJourney({ config, routes }: LoadedConfig, deps: JourneyDeps): readonly Stage[] {
  const { server } = config;
  return [
    normalizePathStage({ caseInsensitive: server.paths.caseInsensitive, windows: server.paths.windows, urlLength: server.limits.urlLength }),
    matchRouteStage(routes),
    ...(deps.rateLimiter ? [guardIpStage(deps.rateLimiter)] : []),
    checkBodySizeStage(server.limits.bodySize),
    authenticateStage(deps.authenticator),
    ...(deps.revocations ? [checkRevocationStage(deps.revocations.list, deps.revocations.onStoreDown, deps.revocations.outcomes)] : []),
    ...(deps.rateLimiter ? [rateLimitStage(deps.rateLimiter)] : []),
    authorizeStage(deps.authorizer, deps.authorization, new IdentityHeaderRenderer(server)),
  ];
}
