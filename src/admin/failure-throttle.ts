// Failed admin authentications, counted per client address by @fastify/rate-limit (its local store: each admin
// listener counts its own). Only failures count — a successful call spends nothing — and an address that has used up
// `server.admin.failureLimit` is refused with 429 before its credentials are looked at, so guessing stops until the
// window ends rather than merely slowing down. The address is the socket's (the admin listener trusts no proxy);
// IPv6 addresses count per /64, as the plugin does by default.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rate } from '../config/units.js';
import { GatewayError } from '../errors.js';

export interface FailureThrottle {
  /** Throws PG_ADMIN_THROTTLED (with Retry-After) while the request's address has no failures left. */
  refuseIfBlocked(request: FastifyRequest): Promise<void>;
  /** Counts one failed authentication against the request's address. */
  countFailure(request: FastifyRequest): Promise<void>;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** Registers the plugin (no global limit: nothing is counted unless a failure says so). `limit` is read per call. */
export function registerFailureThrottle(admin: FastifyInstance, limit: () => Rate): FailureThrottle {
  void admin.register(rateLimit, { global: false });
  let limiter: Limiter | undefined;
  // Created on first use: the plugin's decorator exists once the listener has loaded its plugins. max and the window
  // are read per call, so a reload applies at once and the counts survive it.
  const failures = (): Limiter =>
    (limiter ??= admin.createRateLimit({ max: () => limit().limit, timeWindow: () => limit().windowMs }));
  return {
    async refuseIfBlocked(request) {
      const state = await failures()(request, { increment: false });
      if (state.isAllowed || state.remaining > 0) return;
      throw new GatewayError('PG_ADMIN_THROTTLED', { headers: { 'retry-after': String(Math.max(1, state.ttlInSeconds)) } });
    },
    async countFailure(request) {
      await failures()(request);
    },
  };
}
