// What of an allowed request decides how long its connection may live: the token (its expiry, its revocation) and
// the authorization decision (asked again when permissions change), as the journey enforced them.
import type { VerifiedToken } from '../auth/claims.js';
import type { AuthorizationRequest } from '../rbac/authorizer.js';
import { MatchedRequestFacts } from '../rbac/request-facts.js';
import type { ForwardContext } from '../upstream/forward-context.js';

/** What the relay reads of a request beyond what forwarding does: the token, for expiry and revocation. */
export interface RelayedRequest extends ForwardContext {
  readonly token: VerifiedToken | undefined;
}

/**
 * The token whose expiry and revocation end the connection: none where the route runs authenticate in shadow mode
 * (a refusal there is recorded, not enforced, so it does not end a connection later either).
 */
export function tokenOf(ctx: RelayedRequest): VerifiedToken | undefined {
  return ctx.match!.route.config.shadow.has('authenticate') ? undefined : ctx.token;
}

/**
 * The decision that let the handshake in, as the authorize stage asked it: asked again when permissions change.
 * None on a public route, and where the route runs authorize in shadow mode.
 */
export function authorizationOf(ctx: RelayedRequest): AuthorizationRequest | undefined {
  const match = ctx.match!;
  const identity = ctx.identity;
  if (match.route.config.auth === 'none' || match.route.config.shadow.has('authorize') || identity === undefined) return undefined;
  const tenantParam = match.route.config.tenantParam;
  const tenant = tenantParam === undefined ? identity.tenant : match.param(tenantParam);
  const facts = new MatchedRequestFacts(identity.subject, ctx.client.ip, ctx.token?.claims, match.param);
  return { identity, tenant, codes: match.permissions, mode: match.mode, sensitive: match.route.config.sensitive, facts };
}

