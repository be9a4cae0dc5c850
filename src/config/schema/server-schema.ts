// The `server` section's shape and defaults: listeners, limits, timeouts, identity headers, logs. Why each default
// is what it is: README "Limits and timeouts" (nginx and Envoy compared there).
import { Type, type Static } from './type.js';
import { choice, duration, flag, formatted, integer, list, mapOf, mapping, optional, rate, size, text } from './kinds.js';


/** Header name → where its value comes from (validate-upstream-headers.ts reads the source syntax). */
export const UpstreamHeadersSchema = mapOf(
  text('subject, claim:<dotted.path>, decision:tenant, decision:roles or decision:codes'),
  'Headers added for the upstream from the token and the decision, by header name',
);

const identityHeader = (fallback: string, what: string) =>
  optional(text(`Header carrying the caller's ${what} to the upstream (stripped from every client request)`, {
    default: fallback,
    pattern: '^[A-Za-z0-9-]+$',
    errorMessage: 'a header name holds letters, digits and -',
  }));

/** Mozilla's "intermediate" TLS 1.2 suites (TLS 1.3 suites are chosen by OpenSSL itself): forward secrecy and AEAD only. */
export const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

export const ListenerTlsSchema = mapping({
  certs: list(mapping({
    cert: text('PEM file of the certificate, with its chain (relative to the config file)'),
    key: text('PEM file of its private key (relative to the config file)'),
  }, 'A certificate and its key; chosen by SNI from the certificate\'s names'), 'Certificates; the first is served when no name matches', { minItems: 1, errorMessage: 'names no certificate' }),
  minVersion: optional(choice(['TLSv1.2', 'TLSv1.3'], 'Oldest TLS version accepted', 'TLSv1.2')),
  ciphers: optional(text('OpenSSL cipher list for TLS 1.2; default: Mozilla "intermediate"', { default: INTERMEDIATE_CIPHERS })),
  clientCa: optional(text('PEM file of the CAs client certificates must chain to (mTLS): a client without a valid certificate is refused in the handshake')),
  clientSubject: optional(flag('A verified client certificate\'s subject (its CN) is the identity of a caller that sends no token', false)),
}, 'Terminate TLS on this listener');

export const ListenerSchema = mapping({
  host: optional(text('Address the listener binds', { default: '0.0.0.0' })),
  port: optional(integer(0, 65535, 'Port of the listener (0: any free port)', 8080)),
  http2: optional(flag('HTTP/2 (ALPN h2) beside HTTP/1.1; needs tls', false)),
  redirect: optional(choice(['https'], 'Answer every request with a redirect to the TLS listener instead of serving it')),
  tls: optional(ListenerTlsSchema),
  h2: optional(mapping({
    maxConcurrentStreams: optional(integer(1, 10_000, 'Streams one HTTP/2 connection may have open at once', 100)),
    resetsPerSecond: optional(integer(1, 100_000, 'Streams a client may cancel per second on one connection before it is closed (rapid reset)', 100)),
  }, 'HTTP/2 limits; the header list size is server.limits.headerSize', { default: {} })),
}, 'A data-plane listener', { default: {} });

export const AdminSchema = mapping({
  host: optional(text('Address the admin listener binds', { default: '127.0.0.1' })),
  port: optional(integer(0, 65535, 'Port of the admin listener (0: any free port)', 9901)),
  token: optional(text('Bearer token of the admin API, at least 32 bytes; empty: no admin token', { default: '', allowEmpty: true })),
  jwt: optional(flag('People whose JWT subject holds permgate:admin:… codes may call the admin API (needs `auth`)', false)),
  failureLimit: optional(rate('Failed admin authentications one address may make per window before 429', '10/min')),
  tls: optional(ListenerTlsSchema),
  console: optional(flag('The browser console at /console/ on this listener (log in with the admin token or an admin JWT); off whenever the admin API is', true)),
}, 'The admin listener and who may call the admin API; off while the token is empty and jwt is false', { default: {} });

/**
 * `server.reusePort` when the file says nothing: 'auto', since `npm run bench:fleet -- reuseport` (bench/RESULTS.md)
 * measured SO_REUSEPORT at 1.4–1.75× the requests per second of the shared socket with a new connection per request,
 * and no difference beyond the machine's swing with kept-alive connections.
 */
export const REUSE_PORT_DEFAULT: boolean | 'auto' = 'auto';

export const ServerSchema = mapping({
  listen: optional(Type.Union([ListenerSchema, list(ListenerSchema, 'Several listeners', { minItems: 1, errorMessage: 'names no listener' })], {
    description: 'Where the data plane listens: one listener, or a list (plain HTTP, TLS, HTTP/2)',
    default: {},
  })),
  trustProxy: optional(list(formatted('cidr', 'An address or CIDR'), 'Peers whose X-Forwarded-For and X-Request-Id are believed; empty: the socket peer is the client', { default: [] })),
  admin: optional(AdminSchema),
  status: optional(mapping({
    host: optional(text('Address the status listener binds (0.0.0.0 for probes from outside the pod)', { default: '127.0.0.1' })),
    port: optional(integer(0, 65535, 'Port of the status listener (0: any free port)', 9902)),
  }, 'A read-only listener for probes and scrapes: GET /healthz, /readyz and /metrics with no token, nothing else; off unless set')),
  paths: optional(mapping({
    caseInsensitive: optional(Type.Boolean({ description: 'Lower-case paths before matching and forwarding (case-folding backends); default: windows' })),
    windows: optional(Type.Boolean({ description: 'Refuse the path forms IIS / ASP.NET resolve to another path; default: caseInsensitive' })),
  }, 'How request paths are canonicalized before matching', { default: {} })),
  limits: optional(mapping({
    urlLength: optional(integer(64, 65536, 'Longest request target in bytes (414 beyond)', 8192)),
    headerSize: optional(size('Largest request head (431 beyond)', '16kb')),
    bodySize: optional(size('Largest request body (413 beyond)', '10mb')),
    inFlight: optional(integer(1, 1_000_000, 'Requests handled at once; beyond it, 503 at arrival', 10_000)),
    connections: optional(integer(1, 1_000_000, 'Open client connections; beyond it, a new connection is closed at once', 10_000)),
    bodyBuffer: optional(size('Bodies up to this size are read whole before an upstream connection is taken', '1mb')),
    uploadsPerClient: optional(integer(1, 100_000, 'Streamed uploads one client address may have open at once (429 beyond)', 4)),
  }, 'Request size and concurrency limits', { default: {} })),
  timeouts: optional(mapping({
    headers: optional(duration('From the connection to the end of the request headers (408)', '10s')),
    idle: optional(duration('A keep-alive connection with no request in progress is closed after this long', '75s')),
    request: optional(duration('From the end of the headers to the end of the request body (408)', '60s')),
    bodyIdle: optional(duration('The longest pause between two chunks of a request body (408)', '30s')),
    send: optional(duration('How long a client may leave the response unread before the connection is closed', '60s')),
  }, 'How long a client may take; every one is bounded (longer than 0)', { default: {} })),
  identityHeaders: optional(mapping({
    subject: identityHeader('X-Auth-Subject', 'subject'),
    roles: identityHeader('X-Auth-Roles', 'roles'),
    tenant: identityHeader('X-Auth-Tenant', 'tenant'),
  }, 'Names of the identity headers the gateway sets for the upstream', { default: {} })),
  stripHeaders: optional(list(text('A header name, optionally ending in * for a prefix', {
    pattern: '^[A-Za-z0-9_-]+\\*?$',
    errorMessage: 'a header name, optionally ending in * for a prefix',
  }), 'More client headers to strip, on top of the built-in list', { default: [] })),
  upstreamHeaders: optional(UpstreamHeadersSchema),
  forwardedHosts: optional(list(text('A Host value, with :port where one is used', {
    pattern: '^[A-Za-z0-9.-]{1,253}(:\\d{1,5})?$|^\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?$',
    errorMessage: '{got} is not a host name (optionally with :port)',
    errorHint: 'e.g. api.example.com or api.example.com:8443',
  }), 'Client Host values passed on as X-Forwarded-Host; default none, so it is never sent', { default: [] })),
  logLevel: optional(choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'Log level', 'info')),
  accessLog: optional(flag('One structured log line per request (denials and errors are logged anyway)', false)),
  logs: optional(mapping({
    refusalsPerSecond: optional(integer(0, 1_000_000, 'Refusal log lines per second and instance; the rest are counted and summed up', 10)),
    fieldLength: optional(integer(16, 65_536, 'Client-controlled log fields are cut to this many characters', 256)),
  }, 'How refusal log lines are bounded', { default: {} })),
  drainDelay: optional(duration('On SIGTERM/SIGINT, /readyz turns 503 at once and requests are still served (with Connection: close) this long before the listener stops accepting; 0: stop at once', '5s')),
  drainTimeout: optional(duration('On SIGTERM/SIGINT, in-flight requests get this long to finish', '30s')),
  workers: optional(Type.Union([integer(1, 1024, 'This many worker processes'), Type.Literal('auto')], {
    description: 'Worker processes sharing the data-plane listener (auto: one per available core); more than 1 needs store.redis',
    default: 1,
  })),
  reusePort: optional(Type.Union([Type.Boolean(), Type.Literal('auto')], {
    description: 'Workers listen on sockets of their own (SO_REUSEPORT, Node 22.12+/23.1+) instead of sharing the primary\'s; auto: where this Node has it, in a fleet only; true with one process: a new process may bind the port before the old one drains',
    default: REUSE_PORT_DEFAULT,
  })),
}, 'The data plane listener, its limits and timeouts, identity headers and logging', { default: {} });

export type ServerDocument = Static<typeof ServerSchema>;
