// Admin API for revocations: revoke one token by jti, or every token of a subject issued before a moment; inspect;
// undo a subject-wide revocation. Every change is written to the audit trail. A body's shape is checked by its route
// schema (config/schema/admin-body-schema.ts) once the caller is authorized; which fields go together, here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { subjectProblem } from '../auth/subject-name.js';
import type { RevocationList } from '../auth/revocation-list.js';
import { RevocationBodySchema, type RevocationBody } from '../config/schema/admin-body-schema.js';
import { GatewayError } from '../errors.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { AdminActor, AdminAuth } from './admin-auth.js';

export interface RevocationRouteDeps {
  /** The revocation list; undefined while no config with `auth` has been loaded. */
  readonly revocations: () => RevocationList | undefined;
  readonly audit: AuditTrail;
  readonly authorize: AdminAuth;
  /** Default lifetime of a jti entry when the caller does not give the token's exp: the longest a token may live. */
  readonly maxLifetimeSeconds: () => number;
  readonly now: () => number;
}

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

/** A subject by the data plane's own grammar (auth/subject-name.ts), so every caller it accepts can be revoked. */
function subject(value: unknown, what: string): string {
  const problem = subjectProblem(value);
  if (problem !== undefined) throw badInput(`${what}: ${problem}`);
  return value as string;
}

export function registerRevocationRoutes(admin: FastifyInstance, deps: RevocationRouteDeps): void {
  const nowSeconds = (): number => Math.floor(deps.now() / 1000);
  const list = (): RevocationList => {
    const revocations = deps.revocations();
    if (revocations === undefined) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'no authentication is configured, so there is nothing to revoke' });
    return revocations;
  };

  // Authorized before the body is validated: an unauthenticated caller learns nothing about bodies.
  const actors = new WeakMap<FastifyRequest, AdminActor>();
  const preValidation = async (request: FastifyRequest): Promise<void> => {
    actors.set(request, await deps.authorize(request, 'permgate:admin:revocations:write'));
  };

  admin.post('/admin/revocations', { schema: { body: RevocationBodySchema }, preValidation }, async (request, reply) => {
    const actor = actors.get(request)!;
    const body = request.body as RevocationBody;
    const keys = Object.keys(body);
    if ((body.jti === undefined) === (body.subject === undefined)) throw badInput('give exactly one of "jti" or "subject"');
    if (body.jti !== undefined) {
      if (keys.some((k) => k !== 'jti' && k !== 'exp')) throw badInput('a token revocation takes "jti" and optionally "exp"');
      const exp = body.exp ?? nowSeconds() + deps.maxLifetimeSeconds();
      const entry = { jti: body.jti, exp };
      await list().revokeToken(entry);
      await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.token', target: entry.jti, after: entry });
      return reply.code(201).send({ revoked: { kind: 'token', ...entry } });
    }
    if (keys.some((k) => k !== 'subject' && k !== 'before')) throw badInput('a subject revocation takes "subject" and optionally "before"');
    const revoked = subject(body.subject, '"subject"');
    const before = body.before ?? nowSeconds(); // tokens issued in this second or earlier (revocation-list.ts)
    const entry = { subject: revoked, before };
    await list().revokeSubject(entry);
    await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.subject', target: entry.subject, after: entry });
    return reply.code(201).send({ revoked: { kind: 'subject', ...entry } });
  });

  admin.get('/admin/revocations', async (request) => {
    await deps.authorize(request, 'permgate:admin:revocations:read');
    const snapshot = await list().snapshot();
    const query = (request.query as Record<string, unknown>).subject;
    if (query !== undefined) {
      const wanted = subject(query, '"subject"');
      return { version: snapshot.version, tokens: [], subjects: snapshot.subjects.filter((s) => s.subject === wanted) };
    }
    return snapshot;
  });

  admin.delete('/admin/revocations/subjects/:subject', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:revocations:write');
    const name = subject((request.params as { subject: unknown }).subject, 'the subject');
    const before = (await list().snapshot()).subjects.find((s) => s.subject === name);
    const restored = await list().restoreSubject(name);
    if (!restored) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'no revocation for this subject' });
    await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.subject.restore', target: name, before });
    return { restored: { subject: name } };
  });
}
