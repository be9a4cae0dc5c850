// Structured logs (pino, through Fastify). Credentials are redacted at the source, whatever logs them.
import type { FastifyServerOptions } from 'fastify';
import type { ServerConfig } from '../config/types.js';

/** Paths pino censors in every log line (docs/security-rules.md rule 11). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'token',
  'authorization',
];

export function loggerOptions(server: Pick<ServerConfig, 'logLevel'>): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: server.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'permgate' },
  };
}
