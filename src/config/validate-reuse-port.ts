// `server.reusePort: true` where it cannot do what it says is a config error, at start and on reload: on a Node
// without the option (it would be ignored without a word, and the workers would share the primary's socket after
// all), and in a fleet with a listener on port 0 (each worker would bind a port of its own).
import type { Checker } from './checker.js';
import type { ServerConfig } from './types.js';
import { REUSE_PORT_NODE, reusePortSupported } from '../server/reuse-port.js';

export function checkReusePort(c: Checker, server: Pick<ServerConfig, 'reusePort' | 'workers' | 'listeners'>, version: string = process.versions.node): void {
  if (server.reusePort !== true) return;
  if (!reusePortSupported(version)) {
    c.fail(['server', 'reusePort'], `needs Node ${REUSE_PORT_NODE}; this is Node ${version}`, 'use auto to take it where Node has it, or false');
  }
  // `auto` workers count as a fleet, as for store.redis: one file must not pass on one machine and fail on the next.
  const zero = server.listeners.find((listener) => listener.port === 0);
  if (server.workers !== 1 && zero !== undefined) {
    c.fail(['server', 'reusePort'], `with more than one worker every listener needs a fixed port, and the one on ${zero.host} has port 0: each worker would listen on a port of its own`, 'give the listener a port, or use auto, which keeps the shared socket then');
  }
}
