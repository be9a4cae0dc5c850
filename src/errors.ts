// Every error permgate can answer with: one named code, one status, one short message. The only place statuses are chosen.

/** The catalogue. `docs/errors.md` lists the same codes; test/errors.test.ts keeps the two in sync. */
export const ERRORS = {
  // 400: the request itself is malformed or ambiguous
  PG_PATH_INVALID: { status: 400, message: 'the request path is malformed or ambiguous' },
  PG_TARGET_NOT_ORIGIN_FORM: { status: 400, message: 'the request target must be an absolute path (origin-form)' },
  PG_PARAM_INVALID: { status: 400, message: 'a path parameter is not valid for this route' },
  PG_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  PG_ADMIN_BAD_INPUT: { status: 400, message: 'the admin request is not valid' },
  PG_CONFIG_INVALID: { status: 400, message: 'the new configuration is invalid; the one in force stays' },
  // 401/403: who the caller is and what they may do
  PG_AUTH_REQUIRED: { status: 401, message: 'this route requires authentication' },
  PG_TOKEN_MISSING: { status: 401, message: 'a bearer token is required' },
  PG_TOKEN_MALFORMED: { status: 401, message: 'the token is malformed' },
  PG_TOKEN_TOO_LARGE: { status: 401, message: 'the token is larger than this gateway accepts' },
  PG_TOKEN_EXPIRED: { status: 401, message: 'the token has expired' },
  PG_TOKEN_NOT_YET_VALID: { status: 401, message: 'the token is not valid yet' },
  PG_TOKEN_BAD_SIGNATURE: { status: 401, message: 'the token signature or algorithm is not accepted' },
  PG_TOKEN_WRONG_ISSUER: { status: 401, message: 'the token was issued by an issuer this gateway does not accept' },
  PG_TOKEN_WRONG_AUDIENCE: { status: 401, message: 'the token is not meant for this gateway' },
  PG_TOKEN_WRONG_TYPE: { status: 401, message: 'the token is not of a type this gateway accepts (typ)' },
  PG_TOKEN_REVOKED: { status: 401, message: 'the token has been revoked' },
  PG_ADMIN_UNAUTHORIZED: { status: 401, message: 'the admin API requires the admin token or an admin\'s token' },
  PG_FORBIDDEN: { status: 403, message: 'the caller lacks a permission this route requires' },
  PG_ADMIN_FORBIDDEN: { status: 403, message: 'the admin API refused this change to this caller' },
  PG_CONSOLE_CSRF: { status: 403, message: 'a console change must carry the session\'s CSRF token in X-CSRF-Token' },
  PG_CONSOLE_CROSS_ORIGIN: { status: 403, message: 'the console accepts requests from its own origin only' },
  // 404/405: deny by default
  PG_ROUTE_NOT_FOUND: { status: 404, message: 'no route matches this path' },
  PG_METHOD_NOT_ALLOWED: { status: 405, message: 'this route does not accept this method' },
  PG_ADMIN_NOT_FOUND: { status: 404, message: 'the admin API has no such entry' },
  PG_CONSOLE_DISABLED: { status: 404, message: 'the console is off on this gateway' },
  PG_ADMIN_CONFLICT: { status: 409, message: 'the admin change conflicts with the current state' },
  // 408: the client was too slow (server.timeouts)
  PG_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  PG_BODY_TIMEOUT: { status: 408, message: 'the request body stopped arriving' },
  // 413/414/431: bounded everything
  PG_BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than this route accepts' },
  PG_ADMIN_BODY_TOO_LARGE: { status: 413, message: 'the admin request body is larger than the admin API accepts' },
  PG_URI_TOO_LONG: { status: 414, message: 'the request target is too long' },
  PG_TOO_MANY_UPLOADS: { status: 429, message: 'this client has as many streamed uploads open as it may; retry after the time in Retry-After' },
  PG_TOO_MANY_CONNECTIONS: { status: 429, message: 'this caller or client address has as many WebSockets open as it may; close one first' },
  PG_RATE_LIMITED: { status: 429, message: 'too many requests; retry after the time in Retry-After' },
  PG_ADMIN_THROTTLED: { status: 429, message: 'too many failed admin authentications from this address; retry after the time in Retry-After' },
  PG_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  // 5xx: the gateway or what stands behind it
  PG_INTERNAL: { status: 500, message: 'the gateway failed to handle this request' },
  PG_UPSTREAM_UNAVAILABLE: { status: 502, message: 'the upstream could not be reached' },
  PG_UPSTREAM_BAD_RESPONSE: { status: 502, message: 'the upstream sent an invalid response' },
  PG_UPSTREAM_TLS_FAILED: { status: 502, message: 'no trusted TLS connection to the upstream could be made' },
  PG_UPSTREAM_WEBSOCKET_REFUSED: { status: 502, message: 'the upstream did not accept the WebSocket handshake' },
  PG_STORE_UNAVAILABLE: { status: 503, message: 'a dependency of this route is unavailable; retry shortly' },
  PG_STORE_FILE_UNUSABLE: { status: 503, message: 'the embedded store\'s state file cannot be used' },
  PG_UPSTREAM_CIRCUIT_OPEN: { status: 503, message: 'the upstream is failing and its circuit breaker is open; retry after the time in Retry-After' },
  PG_OVERLOADED: { status: 503, message: 'the gateway is handling as many requests as it may; retry shortly' },
  PG_SHUTTING_DOWN: { status: 503, message: 'the gateway is shutting down; retry on another instance' },
  PG_CONSOLE_NOT_BUILT: { status: 503, message: 'the console\'s files are missing from this installation' },
  PG_ADMIN_DISABLED: { status: 503, message: 'the admin API is disabled: no admin token is configured and JWT admins are off' },
  PG_UPSTREAM_TIMEOUT: { status: 504, message: 'the upstream did not answer in time' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * The one error type the request path throws or returns. `message` is safe to show a client: it never carries
 * request data that could hold a credential. `detail` adds a short, client-safe explanation.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  /** Response headers the error implies (Allow, Retry-After, WWW-Authenticate…). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: { detail?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    // A refusal is an expected outcome, not a bug: no stack is captured (it is most of the cost of a 404 under
    // attack traffic). A `cause` keeps its own stack for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = options.detail;
    this.headers = options.headers;
  }
}

/** The JSON body of every local reply: short, stable, no stack. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; detail?: string; requestId?: string };
}

export function errorBody(err: GatewayError, requestId?: string): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.detail !== undefined) body.error.detail = err.detail;
  if (requestId !== undefined) body.error.requestId = requestId;
  return body;
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
