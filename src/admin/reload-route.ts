// POST /admin/reload: re-read the config file and swap it in, as SIGHUP does. An invalid file is a 400 listing every
// problem (file, line, key), and the config in force stays.
import type { FastifyInstance } from 'fastify';
import { ConfigError, formatIssue } from '../config/config-error.js';
import { GatewayError } from '../errors.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { AdminAuth } from './admin-auth.js';

export interface ReloadRouteDeps {
  readonly authorize: AdminAuth;
  readonly reload: () => Promise<{ file: string; routes: number }>;
  readonly audit: AuditTrail;
  readonly now: () => number;
}

export function registerReloadRoute(admin: FastifyInstance, deps: ReloadRouteDeps): void {
  admin.post('/admin/reload', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:config:write');
    try {
      const result = await deps.reload();
      await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'config.reload', target: result.file, after: result });
      return { reloaded: result };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'config.reload.rejected', target: err.issues[0]?.location.file ?? '', after: { problems: err.issues.map(formatIssue) } });
      throw new GatewayError('PG_CONFIG_INVALID', { detail: err.issues.map(formatIssue).join('; ') });
    }
  });
}
