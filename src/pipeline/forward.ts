// Stage: the authorized request goes to its upstream, under the route's breaker and fallback
// (upstream/resilient-forward.ts). The exchange answers the client itself: the upstream's reply, a fallback, or a
// coded 502 · 503 · 504 · 500. When it is over without an upstream outcome (a local reply, a client that left), the
// breaker call is settled as neutral: nobody's fault but the upstream's may open a breaker.
import type { ForwardContext } from '../upstream/forward-context.js';
import type { Stage } from './stage.js';

/** The forwarder of the config in force (upstream/resilient-forward.ts). */
export interface Forwarding {
  forward(ctx: ForwardContext): void;
}

export function forwardStage(forwarder: Forwarding): Stage {
  return {
    name: 'forward',
    run(ctx) {
      forwarder.forward(ctx);
    },
    finish(ctx) {
      ctx.breakerCall?.settle(undefined);
    },
  };
}
