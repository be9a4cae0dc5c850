// The console (issue 15) on the admin listener: its six pages and their files under /console/, and the session a
// person opens with the admin token (giving their name) or an admin's JWT. The pages call the admin API itself with
// the session cookie (admin-api.ts hands such calls to consoleAuth below), so every rule of that API — who may read
// or change what, self-edit, escalation, audit — applies unchanged. Off whenever the admin API is off.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { GatewayError } from '../../errors.js';
import type { AuditTrail } from '../../observability/audit-trail.js';
import type { AdminActor, AdminCode, ProvenAdmin } from '../admin-auth.js';
import type { FailureThrottle } from '../failure-throttle.js';
import { loadConsoleAssets, type ConsoleAsset } from './console-assets.js';
import { refuseOtherOrigins, refuseWithoutCsrf, securityHeaders, sessionCookie, sessionCookieHeader } from './console-guard.js';
import { IDLE_MS, type ConsoleSession, type ConsoleSessions } from './console-sessions.js';

/** The console's pages, by path under /console/ ('' is the overview). */
export const CONSOLE_PAGES = ['', 'routes', 'explain', 'access', 'revocations', 'audit'] as const;

/** Holding any one of these lets a JWT admin log in; each page then needs its own (and says so when missing). */
export const CONSOLE_CODES: readonly AdminCode[] = [
  'permgate:admin:status:read',
  'permgate:admin:routes:read',
  'permgate:admin:decision:read',
  'permgate:admin:rbac:read',
  'permgate:admin:revocations:read',
  'permgate:admin:audit:read',
  'permgate:admin:shadow:read',
  'permgate:admin:coverage:read',
];

/** A name given with the admin token: what the audit trail will say after `admin-token:`. */
const PERSON_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u;

export interface ConsoleDeps {
  readonly sessions: ConsoleSessions;
  /** `server.admin.console` and the admin API both on, in the config in force. */
  readonly enabled: () => boolean;
  /** Checks a credential against the config in force (admin-auth.ts proveAdmin). */
  readonly prove: (given: string, codes: readonly AdminCode[]) => Promise<ProvenAdmin>;
  /** SHA-256 of the admin token in force; undefined when there is none. */
  readonly adminTokenDigest: () => Buffer | undefined;
  /** JWT admins allowed by the config in force. */
  readonly jwtAdmins: () => boolean;
  readonly throttle: FailureThrottle;
  readonly audit: AuditTrail;
  /** Counts and logs a refused login (admin-api.ts: the same log line and metric as a refused admin call). */
  readonly refused: (request: FastifyRequest, err: GatewayError) => Promise<void>;
  readonly now: () => number;
  /** Where the built files are; the default is dist/console/ of this package. */
  readonly assetsDir?: string;
}

function ended(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_UNAUTHORIZED', { detail });
}

/**
 * Authenticates an admin API call by its console session: the session must be live, the call from this origin, a
 * change must carry the session's CSRF token, and what the session was opened with must still be accepted (the same
 * admin token; a JWT not revoked or expired whose subject holds `code` now).
 */
export function consoleAuth(deps: ConsoleDeps): (request: FastifyRequest, code: AdminCode) => Promise<AdminActor> {
  return async (request, code) => {
    const id = sessionCookie(request);
    const session = deps.sessions.find(id);
    if (session === undefined) throw ended('the console session has ended; log in again');
    refuseOtherOrigins(request);
    refuseWithoutCsrf(request, session.csrf);
    await stillAccepted(deps, session, code, () => deps.sessions.end(id));
    return session.actor;
  };
}

async function stillAccepted(deps: ConsoleDeps, session: ConsoleSession, code: AdminCode, end: () => void): Promise<void> {
  const credential = session.credential;
  if (credential.kind === 'admin-token') {
    const digest = deps.adminTokenDigest();
    if (digest === undefined || !timingSafeEqual(digest, credential.digest)) {
      end();
      throw ended('the admin token changed; log in again');
    }
    return;
  }
  if (!deps.jwtAdmins()) {
    end();
    throw ended('JWT admins are off; log in again');
  }
  try {
    await deps.prove(credential.token, [code]);
  } catch (err) {
    if (err instanceof GatewayError && err.status === 401) end();
    throw err;
  }
}

interface LoginBody {
  readonly credential?: unknown;
  readonly name?: unknown;
}

export function registerConsole(admin: FastifyInstance, deps: ConsoleDeps): void {
  const { sessions } = deps;
  let assets: ReadonlyMap<string, ConsoleAsset> | undefined;
  const asset = (name: string): ConsoleAsset => {
    assets ??= loadConsoleAssets(deps.assetsDir);
    const found = assets?.get(name);
    if (assets === undefined) throw new GatewayError('PG_CONSOLE_NOT_BUILT', { detail: 'run npm run build' });
    if (found === undefined) throw new GatewayError('PG_ROUTE_NOT_FOUND');
    return found;
  };
  const send = (request: FastifyRequest, reply: FastifyReply, file: ConsoleAsset) => {
    // Revalidated on every use: the ETag makes that a 304 until an upgrade changes the file.
    void reply.header('cache-control', 'no-cache').header('etag', file.etag).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    void reply.type(file.type);
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };

  admin.addHook('onRequest', async (request, reply) => {
    const url = request.url;
    const page = url === '/console' || url.startsWith('/console/') || url.startsWith('/console?');
    securityHeaders(reply, page);
    if (!page) return;
    if (!deps.enabled()) {
      sessions.clear();
      throw new GatewayError('PG_CONSOLE_DISABLED', { detail: 'server.admin.console is false, or the admin API is off' });
    }
  });

  admin.get('/console', async (_request, reply) => reply.redirect('/console/', 308));
  admin.get('/console/login', async (request, reply) => send(request, reply, asset('login.html')));
  for (const page of CONSOLE_PAGES) {
    admin.get(`/console/${page}`, async (request, reply) => {
      if (sessions.find(sessionCookie(request)) === undefined) {
        void reply.header('cache-control', 'no-store');
        return reply.redirect(page === '' ? '/console/login' : `/console/login?next=${page}`, 303);
      }
      return send(request, reply, asset('index.html'));
    });
  }
  admin.get('/console/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    if (name === 'index.html' || name === 'login.html') throw new GatewayError('PG_ROUTE_NOT_FOUND');
    return send(request, reply, asset(name));
  });

  // --- the session -------------------------------------------------------------------------------------------------
  const view = (session: ConsoleSession) => ({
    actor: session.actor.name,
    kind: session.actor.kind,
    csrf: session.csrf,
    expiresAt: new Date(sessions.expiresAt(session)).toISOString(),
    endsAt: new Date(session.endsAt).toISOString(),
    idleSeconds: IDLE_MS / 1000,
  });

  admin.post('/console/api/session', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    refuseOtherOrigins(request);
    await deps.throttle.refuseIfBlocked(request);
    const body = (request.body ?? {}) as LoginBody;
    const credential = typeof body.credential === 'string' ? body.credential.trim() : '';
    let proven: ProvenAdmin;
    try {
      proven = await deps.prove(credential, CONSOLE_CODES);
    } catch (err) {
      if (err instanceof GatewayError && (err.status === 401 || err.status === 403)) await deps.refused(request, err);
      throw err;
    }
    let actor = proven.actor;
    let opened: { id: string; session: ConsoleSession };
    if (actor.kind === 'admin-token') {
      // The admin token is nobody in particular: the person says who they are, and the trail keeps it.
      if (typeof body.name !== 'string' || !PERSON_NAME.test(body.name.trim())) {
        throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"name": who you are, for the audit trail (letters, digits, space . _ @ -, up to 64)' });
      }
      actor = { kind: 'admin-token', name: `admin-token:${body.name.trim()}` };
      opened = sessions.open(actor, { kind: 'admin-token', digest: createHash('sha256').update(credential).digest() });
    } else {
      const exp = decodeJwt(credential).exp;
      opened = sessions.open(actor, { kind: 'jwt', token: credential }, typeof exp === 'number' ? exp * 1000 : Infinity);
    }
    await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'console.login', target: 'console' });
    const maxAge = (opened.session.endsAt - deps.now()) / 1000;
    return reply.code(201).header('set-cookie', sessionCookieHeader(request, opened.id, maxAge)).send(view(opened.session));
  });

  admin.get('/console/api/session', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    refuseOtherOrigins(request);
    const session = sessions.find(sessionCookie(request));
    if (session === undefined) throw ended('no console session; log in');
    return view(session);
  });

  admin.delete('/console/api/session', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const id = sessionCookie(request);
    const session = sessions.find(id);
    if (session === undefined) throw ended('no console session');
    refuseOtherOrigins(request);
    refuseWithoutCsrf(request, session.csrf);
    sessions.end(id);
    await deps.audit.record({ at: deps.now(), actor: session.actor.name, action: 'console.logout', target: 'console' });
    return reply.code(204).header('set-cookie', sessionCookieHeader(request, '', 0)).send();
  });
}
