// Admin API for revocations: revoke one token by jti, or every token of a subject issued before a moment; inspect;
// undo a subject-wide revocation. Every change is written to the audit trail.
import type { FastifyInstance } from 'fastify';
import type { RevocationList } from '../auth/revocation-list.js';
import { GatewayError } from '../errors.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { AdminAuth } from './admin-auth.js';

export interface RevocationRouteDeps {
  /** The revocation list; undefined while no config with `auth` has been loaded. */
  readonly revocations: () => RevocationList | undefined;
  readonly audit: AuditTrail;
  readonly authorize: AdminAuth;
  /** Default lifetime of a jti entry when the caller does not give the token's exp: the longest a token may live. */
  readonly maxLifetimeSeconds: () => number;
  readonly now: () => number;
}

const NAME = /^[\x21-\x7e]{1,256}$/; // printable ASCII, no spaces: jti and subject values as tokens carry them

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

function seconds(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1e11) {
    throw badInput(`${what} must be a time in whole seconds since the epoch`);
  }
  return value;
}

export function registerRevocationRoutes(admin: FastifyInstance, deps: RevocationRouteDeps): void {
  const nowSeconds = (): number => Math.floor(deps.now() / 1000);
  const list = (): RevocationList => {
    const revocations = deps.revocations();
    if (revocations === undefined) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'no authentication is configured, so there is nothing to revoke' });
    return revocations;
  };

  admin.post('/admin/revocations', async (request, reply) => {
    const actor = await deps.authorize(request, 'permgate:admin:revocations:write');
    const body = request.body as Record<string, unknown> | null | undefined;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badInput('expected a JSON object with "jti" or "subject"');
    const keys = Object.keys(body);
    if ('jti' in body === 'subject' in body) throw badInput('give exactly one of "jti" or "subject"');
    if ('jti' in body) {
      if (keys.some((k) => k !== 'jti' && k !== 'exp')) throw badInput('a token revocation takes "jti" and optionally "exp"');
      if (typeof body.jti !== 'string' || !NAME.test(body.jti)) throw badInput('"jti" must be a non-empty string without spaces (≤ 256)');
      const exp = seconds(body.exp, '"exp"') ?? nowSeconds() + deps.maxLifetimeSeconds();
      const entry = { jti: body.jti, exp };
      await list().revokeToken(entry);
      await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.token', target: entry.jti, after: entry });
      return reply.code(201).send({ revoked: { kind: 'token', ...entry } });
    }
    if (keys.some((k) => k !== 'subject' && k !== 'before')) throw badInput('a subject revocation takes "subject" and optionally "before"');
    if (typeof body.subject !== 'string' || !NAME.test(body.subject)) throw badInput('"subject" must be a non-empty string without spaces (≤ 256)');
    const before = seconds(body.before, '"before"') ?? nowSeconds() + 1; // +1: a token issued this very second is covered
    const entry = { subject: body.subject, before };
    await list().revokeSubject(entry);
    await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.subject', target: entry.subject, after: entry });
    return reply.code(201).send({ revoked: { kind: 'subject', ...entry } });
  });

  admin.get('/admin/revocations', async (request) => {
    await deps.authorize(request, 'permgate:admin:revocations:read');
    const snapshot = await list().snapshot();
    const subject = (request.query as Record<string, unknown>).subject;
    if (typeof subject === 'string') return { version: snapshot.version, tokens: [], subjects: snapshot.subjects.filter((s) => s.subject === subject) };
    return snapshot;
  });

  admin.delete('/admin/revocations/subjects/:subject', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:revocations:write');
    const { subject } = request.params as { subject: string };
    if (!NAME.test(subject)) throw badInput('not a subject name');
    const before = (await list().snapshot()).subjects.find((s) => s.subject === subject);
    const restored = await list().restoreSubject(subject);
    if (!restored) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'no revocation for this subject' });
    await deps.audit.record({ at: deps.now(), actor: actor.name, action: 'revocation.subject.restore', target: subject, before });
    return { restored: { subject } };
  });

  admin.get('/admin/audit', async (request) => {
    await deps.authorize(request, 'permgate:admin:audit:read');
    const limit = Number((request.query as Record<string, unknown>).limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badInput('"limit" must be 1 to 1000');
    return { entries: await deps.audit.recent(limit) };
  });
}
