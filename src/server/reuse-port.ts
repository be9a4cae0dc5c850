// Whether the data listeners are opened with SO_REUSEPORT (`server.reusePort`, issue 12). In a fleet it decides who
// owns the listening socket: without it the primary does (node:cluster's shared handle: the primary accepts every
// connection and hands it to a worker over IPC); with it each worker binds a socket of its own and the kernel
// spreads new connections over them. Node has `listen({ reusePort })` from 22.12 and 23.1; older versions ignore the
// option without a word, so the version is checked here rather than trusted to the call.
import type { DataListenerConfig } from '../config/listen-types.js';
import type { ServerConfig } from '../config/types.js';

/** The Node versions whose `net.Server.listen()` knows `reusePort`, for messages. */
export const REUSE_PORT_NODE = '22.12+, 23.1+ or 24+';

/**
 * @example
 * reusePortSupported('20.19.0');  // false
 * reusePortSupported('22.12.0');  // true
 * reusePortSupported('23.0.0');   // false: it came in 23.1
 */
export function reusePortSupported(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export interface ReusePortChoice {
  readonly reusePort: boolean;
  /** One sentence for the start-up log: what was chosen and why. */
  readonly reason: string;
}

/**
 * What the data listeners use. `fleet`: this instance runs workers (server.workers > 1). `auto` is for fleets only:
 * a single process gains nothing from SO_REUSEPORT but the risk of a second instance silently sharing its port, so it
 * takes it only when asked (`true`, for a new process started on the port before the old one drains). `true` where
 * Node lacks it, or with a listener on port 0 in a fleet, never gets here: the config is refused
 * (validate-reuse-port.ts).
 */
export function reusePortChoice(
  setting: ServerConfig['reusePort'],
  { fleet, listeners }: { readonly fleet: boolean; readonly listeners: readonly DataListenerConfig[] },
  version: string = process.versions.node,
): ReusePortChoice {
  if (setting === false) return { reusePort: false, reason: fleet ? 'the workers share the primary\'s listening socket' : 'server.reusePort is off' };
  if (setting === true) return { reusePort: true, reason: fleet ? 'each worker listens on a socket of its own (SO_REUSEPORT)' : 'the data listeners are opened with SO_REUSEPORT' };
  if (!fleet) return { reusePort: false, reason: 'server.reusePort auto applies to workers only; one process listens without SO_REUSEPORT' };
  if (!reusePortSupported(version)) return { reusePort: false, reason: `server.reusePort auto: Node ${version} has no reusePort (${REUSE_PORT_NODE}); the workers share the primary's listening socket` };
  if (listeners.some((listener) => listener.port === 0)) return { reusePort: false, reason: 'server.reusePort auto: a listener on port 0 would get a port per worker; the workers share the primary\'s listening socket' };
  return { reusePort: true, reason: 'server.reusePort auto: each worker listens on a socket of its own (SO_REUSEPORT)' };
}
