// Which connection errors mean "no trusted TLS connection" rather than "no connection": the gateway refusing the
// upstream's certificate, or the upstream refusing the gateway with a TLS alert. They get their own 502 code, so an
// expired or misnamed certificate is not mistaken for a backend that is down.

/** OpenSSL's certificate verification results, as Node names them (X509_V_ERR_* without the prefix). */
const VERIFY_FAILURES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID', // Node's own name check (checkServerIdentity)
]);

/** True for a failed certificate check on either side, or a TLS alert or handshake error (`ERR_SSL_*`). */
export function isTlsFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (VERIFY_FAILURES.has(code) || code.startsWith('ERR_SSL_'));
}
