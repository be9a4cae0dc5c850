// mTLS callers without a token (`tls.clientSubject`): the verified client certificate's subject CN names the caller,
// as a token's `sub` does. The listener marks each socket whose certificate the handshake verified; the journey reads
// the mark. Such a caller has no roles or scopes of its own: RBAC bindings of the subject decide, as for a token.
import type { TLSSocket } from 'node:tls';
import type { VerifiedToken } from '../auth/claims.js';

const SUBJECT = Symbol('permgate.clientSubject');

interface Marked {
  [SUBJECT]?: VerifiedToken;
}

/** On a verified handshake of a listener with clientSubject: remembers the certificate's subject on the socket. */
export function markClientSubject(socket: TLSSocket): void {
  if (!socket.authorized) return;
  const cert = socket.getPeerCertificate();
  const cn = cert.subject?.CN;
  const subject = Array.isArray(cn) ? undefined : cn; // several CNs name nobody in particular: when in doubt, none
  if (subject === undefined || subject === '') return;
  (socket as Marked)[SUBJECT] = {
    identity: { subject, roles: [], tenant: undefined, scopes: [] },
    jti: undefined,
    // No issue time: a revocation of the subject refuses it for as long as the revocation is in force.
    iat: undefined,
    exp: Math.floor(Date.parse(cert.valid_to) / 1000),
    claims: { sub: subject },
  };
}

/** The caller a socket's verified client certificate names, if its listener lets certificates name callers. */
export function clientSubjectOf(socket: object | null | undefined): VerifiedToken | undefined {
  return (socket as Marked | null | undefined)?.[SUBJECT];
}
