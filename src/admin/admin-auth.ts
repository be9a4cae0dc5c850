// Who may call the admin API: the holder of the admin token. Compared in constant time; an empty token disables
// the API instead of opening it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';

export interface AdminActor {
  /** Written to the audit trail as "who". */
  readonly name: string;
}

export function adminTokenCheck(token: string): (request: FastifyRequest) => AdminActor {
  const expected = token === '' ? undefined : createHash('sha256').update(token).digest();
  return (request) => {
    if (expected === undefined) throw new GatewayError('PG_ADMIN_DISABLED');
    const header = request.headers.authorization ?? '';
    const given = header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '';
    // Hashing first gives equal lengths, so timingSafeEqual never throws and the length does not leak.
    const digest = createHash('sha256').update(given).digest();
    if (given === '' || !timingSafeEqual(digest, expected)) {
      throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { headers: { 'www-authenticate': 'Bearer realm="permgate-admin"' } });
    }
    return { name: 'admin-token' };
  };
}
