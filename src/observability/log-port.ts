// The logger the domain folders see: three levels, a fields object and a message. Fastify's and pino's loggers
// satisfy it as they are, so auth/, rbac/ and ratelimit/ log without importing Fastify (issue 11 §3).

export interface LogPort {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** A logger whose every line carries `bindings` as well (pino's child); absent on loggers that cannot. */
  child?(bindings: Record<string, unknown>): LogPort;
}
