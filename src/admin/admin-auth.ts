// Who may call the admin API: the holder of the admin token (compared in constant time), or — only with
// `server.admin.jwt: true` — a person whose JWT verifies, is not revoked, and whose subject holds the admin code of the
// endpoint (`permgate:admin:rbac:write`…), so every change is attributed to someone. With neither, the API is off.
// Failures are thrown as coded errors; admin-api.ts logs and throttles them (failure-throttle.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { Actor } from '../rbac/policy-editor.js';
import type { PermissionCode } from '../routing/permission-template.js';

/** The admin token, or a person by their JWT (their subject, and the roles their token names). */
export type AdminActor = Actor;

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
const ADMIN_TOKEN: AdminActor = Object.freeze({ kind: 'admin-token', name: 'admin-token' });

function unauthorized(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_UNAUTHORIZED', { detail, headers: CHALLENGE });
}

export function adminAuth(token: string, jwt: AdminJwt | undefined): AdminAuth {
  const prove = proveAdmin(token, jwt);
  return async (request, code) => {
    const header = request.headers.authorization ?? '';
    return (await prove(header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '', [code])).actor;
  };
}

/** What a credential proves: who it is, and for a JWT the identity and token it was proven with. */
export interface ProvenAdmin {
  readonly actor: AdminActor;
  readonly identity?: Identity;
}

/**
 * Checks one credential (the admin token, or an admin's JWT holding at least one of `codes`): the bearer token of an
 * admin API call, or what a person gives the console's login (console/console-routes.ts). Throws PG_ADMIN_UNAUTHORIZED,
 * PG_ADMIN_FORBIDDEN or PG_ADMIN_DISABLED.
 */
export function proveAdmin(token: string, jwt: AdminJwt | undefined): (given: string, codes: readonly AdminCode[]) => Promise<ProvenAdmin> {
  const expected = token === '' ? undefined : createHash('sha256').update(token).digest();
  return async (given, codes) => {
    if (expected === undefined && jwt === undefined) throw new GatewayError('PG_ADMIN_DISABLED');
    if (given === '') throw unauthorized('no bearer token');
    if (expected !== undefined) {
      // Hashing first gives equal lengths, so timingSafeEqual never throws and the length does not leak.
      const digest = createHash('sha256').update(given).digest();
      if (timingSafeEqual(digest, expected)) return { actor: ADMIN_TOKEN };
    }
    // Not the admin token: only a JWT can still get in. Anything that does not look like one is simply refused.
    if (jwt === undefined || given.split('.').length !== 3) throw unauthorized(jwt === undefined ? 'not the admin token' : 'neither the admin token nor a JWT');
    let identity: Identity;
    try {
      identity = await jwt.identify(given);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 401) throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { detail: `${err.code}${err.detail ? `: ${err.detail}` : ''}`, headers: CHALLENGE, cause: err });
      throw err;
    }
    let held = false;
    for (const code of codes) if (!held) held = await jwt.holds(identity, code as string as PermissionCode);
    if (!held) throw new GatewayError('PG_ADMIN_FORBIDDEN', { detail: `missing permission ${codes.length === 1 ? codes[0] : `(any of) ${codes.join(', ')}`}` });
    return { actor: { kind: 'person', name: identity.subject, subject: identity.subject, tokenRoles: identity.roles }, identity };
  };
}
