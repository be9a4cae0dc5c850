// What makes a request a WebSocket handshake (RFC 6455 §4.2.1), read from its method and headers only: the data plane
// and the route match ask whether it is one, the relay whether it is a valid one.
import type { IncomingHttpHeaders } from 'node:http';

/** A base64 encoding of 16 bytes, as RFC 6455 §4.1 makes the key. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A subprotocol name is an HTTP token (RFC 6455 §4.1, RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A GET asking to switch to `websocket`. Other Upgrade requests (`h2c`, anything else) are not: they are served as
 * plain requests, with Upgrade stripped.
 * @example isWebSocketHandshake('GET', { upgrade: 'WebSocket' }) → true
 */
export function isWebSocketHandshake(method: string, headers: IncomingHttpHeaders): boolean {
  const upgrade = headers.upgrade;
  if (method !== 'GET' || typeof upgrade !== 'string') return false;
  return upgrade.split(',').some((offer) => offer.trim().toLowerCase() === 'websocket');
}

/** Why a handshake cannot be accepted, in words safe for a client; undefined for a valid one. */
export function handshakeProblem(headers: IncomingHttpHeaders): string | undefined {
  if (headers.upgrade?.trim().toLowerCase() !== 'websocket') return 'Upgrade must be websocket alone';
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key.trim())) return 'Sec-WebSocket-Key is missing or not 16 bytes in base64';
  if (headers['sec-websocket-version'] !== '13') return 'Sec-WebSocket-Version must be 13';
  const connection = headers.connection;
  if (typeof connection !== 'string' || !connection.split(',').some((option) => option.trim().toLowerCase() === 'upgrade')) return 'Connection must name Upgrade';
  if (offeredProtocols(headers) === null) return 'Sec-WebSocket-Protocol is not a list of tokens';
  return undefined;
}

/**
 * The subprotocols the client offers, in its order: passed to the upstream, whose choice the client gets. Null for
 * a header that is not a list of tokens.
 * @example offeredProtocols({ 'sec-websocket-protocol': 'chat, superchat' }) → ['chat', 'superchat']
 */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] | null {
  const header = headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  const names = header.split(',').map((name) => name.trim());
  return names.every((name) => TOKEN.test(name)) && new Set(names).size === names.length ? names : null;
}
