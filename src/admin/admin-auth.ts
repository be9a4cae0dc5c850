// Who may call the admin API: the holder of the admin token (compared in constant time), or a person whose JWT
// verifies, is not revoked, and whose subject holds the admin code of the endpoint (`permgate:admin:rbac:write`…),
// so every change is attributed to someone. With neither configured, the API is off rather than open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';
import type { Identity } from '../pipeline/request-context.js';
import type { PermissionCode } from '../routing/permission-template.js';

export interface AdminActor {
  /** Written to the audit trail as "who": `admin-token`, or the JWT's subject. */
  readonly name: string;
  /** The JWT's subject; undefined for the admin token. */
  readonly subject: string | undefined;
}

/** What an endpoint requires: `permgate:admin:<area>:<read|write>`. A grant of `permgate:admin:*` covers them all. */
export type AdminCode = `permgate:admin:${string}:${'read' | 'write'}`;

export type AdminAuth = (request: FastifyRequest, code: AdminCode) => Promise<AdminActor>;

export interface AdminJwt {
  /** Verifies a token and checks its revocation; throws a GatewayError (401) otherwise. */
  identify(token: string): Promise<Identity>;
  /** Whether the identity holds `code` (no tenant: admin codes are global). */
  holds(identity: Identity, code: PermissionCode): Promise<boolean>;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="permgate-admin"' };

export function adminAuth(token: string, jwt: AdminJwt | undefined): AdminAuth {
  const expected = token === '' ? undefined : createHash('sha256').update(token).digest();
  return async (request, code) => {
    if (expected === undefined && jwt === undefined) throw new GatewayError('PG_ADMIN_DISABLED');
    const header = request.headers.authorization ?? '';
    const given = header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '';
    if (given === '') throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { headers: CHALLENGE });
    if (expected !== undefined) {
      // Hashing first gives equal lengths, so timingSafeEqual never throws and the length does not leak.
      const digest = createHash('sha256').update(given).digest();
      if (timingSafeEqual(digest, expected)) return { name: 'admin-token', subject: undefined };
    }
    // Not the admin token: only a JWT can still get in. Anything that does not look like one is simply refused.
    if (jwt === undefined || given.split('.').length !== 3) throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { headers: CHALLENGE });
    let identity: Identity;
    try {
      identity = await jwt.identify(given);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 401) throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { detail: err.detail, headers: CHALLENGE });
      throw err;
    }
    if (!(await jwt.holds(identity, code as string as PermissionCode))) {
      throw new GatewayError('PG_ADMIN_FORBIDDEN', { detail: `missing permission ${code}` });
    }
    return { name: identity.subject, subject: identity.subject };
  };
}
