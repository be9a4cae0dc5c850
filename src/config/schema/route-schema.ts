// The shapes of `upstreams` and `routes`: where requests go, what they need, and what a route answers while its
// upstream's breaker is open. Path syntax, permission templates and cross-key rules are checked by code
// (validate.ts, routing/route-table.ts).
import { Type } from './type.js';
import { HTTP_METHODS } from '../types.js';
import { OnStoreDownSchema } from './auth-schema.js';
import { choice, duration, flag, integer, list, mapOf, mapping, optional, size, text } from './kinds.js';
import { RouteRateLimitSchema } from './rate-limit-schema.js';
import { UpstreamHeadersSchema } from './server-schema.js';
import { ShadowStagesSchema } from './shadow-schema.js';

export const BREAKER_DEFAULTS = { failureRate: 50, minRequests: 20, window: '10s', openFor: '10s' } as const;

export const BreakerSchema = Type.Union([
  Type.Union([Type.Literal('off'), Type.Literal(false)], { description: 'off: no breaker' }),
  mapping({
    failureRate: optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100 }), Type.String({ pattern: '^\\s*\\d{1,3}%?\\s*$' })], {
      description: 'Percentage of failed calls in the window at which the breaker opens',
      default: `${BREAKER_DEFAULTS.failureRate}%`,
      errorMessage: 'expected a percentage from 1% to 100%',
      errorHint: 'e.g. 50%',
    })),
    minRequests: optional(integer(1, 1_000_000, 'Calls the window must hold before the rate counts', BREAKER_DEFAULTS.minRequests)),
    window: optional(duration('Length of the rolling window the rate is computed over', BREAKER_DEFAULTS.window)),
    openFor: optional(duration('How long the breaker stays open before a probe goes through', BREAKER_DEFAULTS.openFor)),
    timeout: optional(duration('A call slower than this counts as a failure; default: only the upstream timeout')),
    failOn: optional(list(Type.Union([Type.Integer(), Type.String()]), 'Statuses that count as failures: 5xx, a 5xx status or a range such as 502-504 (4xx never)', { default: ['5xx'] })),
  }, 'Breaker settings; every key optional'),
], { description: 'The circuit breaker: off, or its settings' });

export const FallbackSchema = Type.Union([
  Type.Literal('reject', { description: 'reject: 503' }),
  mapping({
    static: optional(mapping({
      status: optional(integer(200, 599, 'Status answered', 503)),
      body: optional(Type.Unknown({ description: 'Body: a string as it is, anything else as JSON' })),
      contentType: optional(text('Content-Type; default: text/plain for a string body, application/json otherwise')),
    }, 'A fixed answer')),
    lastGood: optional(mapping({
      maxAge: optional(duration('The last good response to the same GET is used if it is younger than this', '5m')),
      maxEntries: optional(integer(1, 1_000_000, 'Responses remembered', 1_000)),
      maxBodySize: optional(size('Larger responses are not remembered', '256kb')),
    }, 'The last good (2xx) response to the same GET')),
  }, 'Exactly one of static or lastGood'),
], { description: 'What the route answers while its breaker is open: reject (503), static or lastGood', default: 'reject' });

// Names mirror Node's TLS options where they are clear (ca, cert, key); `serverName` is camelCase like every key here.
export const UpstreamTlsSchema = mapping({
  ca: optional(text('PEM file of the CAs trusted for the upstream\'s certificate (relative to this file); default: Node\'s bundled public roots')),
  cert: optional(text('PEM file of the client certificate the gateway presents (mTLS), intermediates after it; needs key')),
  key: optional(text('PEM file of that certificate\'s private key, unencrypted')),
  serverName: optional(text('Name sent as SNI and checked against the upstream\'s certificate; default: the URL\'s host (none for an IP address)', {
    pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$',
    errorMessage: 'expected a DNS name, e.g. backend.internal',
  })),
  verify: optional(flag('Check the upstream\'s certificate and name; false is logged as a warning at every load', true)),
}, 'TLS to an https:// upstream: the CAs it is checked against, the client certificate presented, the name expected. Files are read at load and on every reload');

export const UpstreamSchema = mapping({
  url: text('http:// or https:// origin, optionally with a base path (no query, fragment or credentials)'),
  timeout: optional(duration('A request to this upstream gives up after this long (504)', '30s')),
  connectTimeout: optional(duration('Connecting gives up after this long', '5s')),
  connections: optional(integer(1, 10_000, 'Upper bound of pooled keep-alive connections', 128)),
  preserveHost: optional(flag('Send the client\'s Host instead of the upstream\'s own', false)),
  breaker: optional({ ...BreakerSchema, default: {} }),
  tls: optional(UpstreamTlsSchema),
}, 'A backend');

const codes = list(text('A permission code or template'), 'Permission codes', { minItems: 1, errorMessage: 'names no permission code' });

/** `code`, `[a, b]` (all of them), `{ all: [a, b] }` or `{ any: [a, b] }`. */
export const RequirementSchema = Type.Union([
  text('One permission code or template, e.g. order:read or channel:delete:{channelId}'),
  codes,
  mapping({ all: codes }, 'Every one of these codes'),
  mapping({ any: codes }, 'At least one of these codes'),
], { description: 'A code, a list of codes (all of them), { all: [...] } or { any: [...] }', errorMessage: 'expected a code, a list of codes, { all: [...] } or { any: [...] }' });

export const PermissionSchema = Type.Union([
  RequirementSchema,
  // One requirement schema for every method key (not one copy per method): the compiled validator stays small.
  Type.Record(RequirementSchema, {
    propertyNames: { enum: [...HTTP_METHODS, '*', 'WEBSOCKET'] },
    minProperties: 1,
    description: 'A requirement per method (GET, POST, ...); * for every other method; WEBSOCKET for the handshake of a websocket route (default: its GET code)',
  }),
], { description: 'What a request must hold: one requirement, or one per method' });

/** `websocket: true`, or the bounds of the route's WebSockets. */
export const WebSocketSchema = Type.Union([
  Type.Boolean({ description: 'true: WebSocket handshakes on this route are proxied, with the default bounds' }),
  mapping({
    maxPayload: optional(size('Largest message (and frame) either side may send; a larger one closes the socket with 1009', '1mb')),
    pingInterval: optional(duration('The client is pinged this often; a client that has not answered the previous ping by then is cut off', '30s')),
  }, 'Proxied WebSockets with these bounds'),
], { description: 'Proxy WebSocket handshakes on this route (after the whole journey) and tunnel frames both ways; absent or false: an Upgrade is stripped and the request is served as a plain one' });

export const RouteSchema = mapping({
  path: text('Route pattern: /literal, :param segments, * for one segment, ** at the end for the rest'),
  upstream: text('Name of the upstream requests are forwarded to'),
  auth: optional(choice(['none', 'required'], 'none: a public route; required: a verified token and a permission', 'required')),
  methods: optional(list(choice([...HTTP_METHODS], 'An HTTP method'), 'Methods the route accepts; default: those its permission names, or all', { minItems: 1, errorMessage: 'must name at least one method' })),
  permission: optional(PermissionSchema),
  sensitive: optional(flag('Fail closed (503) whenever a dependency is down, whatever else is configured', false)),
  params: optional(mapOf(text('An anchored regular expression'), 'Extra grammar per path parameter, by name')),
  bodyLimit: optional(size('Largest request body on this route; default: server.limits.bodySize')),
  rateLimit: optional(RouteRateLimitSchema),
  onStoreDown: optional(OnStoreDownSchema),
  tenantParam: optional(text('The path parameter that names the tenant; default: the token\'s tenant claim')),
  breaker: optional(BreakerSchema),
  fallback: optional(FallbackSchema),
  requestBuffering: optional(flag('Read the body whole (up to server.limits.bodyBuffer) before forwarding', true)),
  upstreamHeaders: optional(UpstreamHeadersSchema),
  forwardAuthorization: optional(flag('Pass the caller\'s Authorization header on to the upstream', false)),
  shadow: optional(ShadowStagesSchema),
  websocket: optional(WebSocketSchema),
}, 'A route: a path pattern, its upstream and what a request needs');

export const UpstreamsSchema = mapOf(UpstreamSchema, 'Backends, by name', { errorHint: 'name at least one backend: upstreams: { orders: { url: http://127.0.0.1:9001 } }' });
export const RoutesSchema = list(RouteSchema, 'Routes, matched by their path patterns; every unmapped path is 404', { minItems: 1, errorMessage: 'is required', errorHint: 'map at least one route; every unmapped path is 404' });
