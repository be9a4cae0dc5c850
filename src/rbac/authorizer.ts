// The authorization seam: may this caller do this here? The stage asks; an Authorizer answers with a Decision, or
// throws PG_STORE_UNAVAILABLE when it cannot know.
import type { Identity } from '../auth/identity.js';
import type { PermissionCode } from '../routing/permission-template.js';
import type { Decision } from './compile.js';
import type { RequestFacts } from './condition.js';
import type { PermissionSource } from './sources.js';

export interface AuthorizationRequest {
  readonly identity: Identity;
  /** The request's tenant: the route's tenant parameter, or the token's tenant claim. */
  readonly tenant: string | undefined;
  readonly codes: readonly PermissionCode[];
  readonly mode: 'all' | 'any';
  /** Sensitive routes fail closed when the policy cannot be known to be current. */
  readonly sensitive: boolean;
  /** What conditional grants look at (client address, claims, path parameters); absent: none of them holds. */
  readonly facts?: RequestFacts | undefined;
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): Decision | Promise<Decision>;
}

/**
 * Told of allowed decisions, so the grants in use can be recorded (privilege/grant-usage-recorder.ts). `wants` is a
 * lookup on the request path; `record` gets the decision's sources only when `wants` said yes, with the request's
 * facts, so that only conditional grants whose condition held for the request are credited.
 */
export interface GrantUseSink {
  wants(subject: string, codes: readonly PermissionCode[], now: number): boolean;
  record(subject: string, codes: readonly PermissionCode[], sources: readonly PermissionSource[], facts: RequestFacts | undefined, now: number): void;
}

/** The authorizer of a gateway that cannot authenticate anyone: every permission is missing. */
export const denyAll: Authorizer = {
  authorize(request) {
    return { allowed: false, code: request.codes[0]!, reason: 'missing' };
  },
};
