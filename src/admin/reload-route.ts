// POST /admin/reload: re-read the config file and swap it in, as SIGHUP does (both audited by the gateway). An invalid
// file is a 400 listing every problem (file, line, key), and the config in force stays.
import type { FastifyInstance } from 'fastify';
import { ConfigError, formatIssue } from '../config/config-error.js';
import { GatewayError } from '../errors.js';
import type { AdminAuth } from './admin-auth.js';

export interface ReloadRouteDeps {
  readonly authorize: AdminAuth;
  /** Reloads on behalf of `actor`; throws ConfigError when the file is refused. */
  readonly reload: (actor: string) => Promise<{ file: string; routes: number }>;
}

export function registerReloadRoute(admin: FastifyInstance, deps: ReloadRouteDeps): void {
  admin.post('/admin/reload', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:config:write');
    try {
      return { reloaded: await deps.reload(actor.name) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new GatewayError('PG_CONFIG_INVALID', { detail: err.issues.map(formatIssue).join('; ') });
    }
  });
}
