// Replies for what Node's http server refuses before a route runs (a malformed head, headers too large, headers or
// request too slow): the same coded JSON shape as every local reply, then the connection is closed.
import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, GatewayError, type ErrorCode } from '../errors.js';

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function codeFor(nodeCode: string | undefined): ErrorCode {
  if (nodeCode === 'HPE_HEADER_OVERFLOW') return 'PG_HEADERS_TOO_LARGE';
  if (nodeCode === 'ERR_HTTP_REQUEST_TIMEOUT') return 'PG_REQUEST_TIMEOUT';
  return 'PG_BAD_REQUEST';
}

/** Fastify's `clientErrorHandler`: answers on the raw socket (no request exists) and closes it. */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer; a response already under way cannot be replaced by another.
  const inProgress = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return;
  }
  answerOnSocket(socket, new GatewayError(codeFor(err.code)));
}

/** A coded answer written straight to a connection no HTTP response owns (400, 408, 431), which then closes. */
export function answerOnSocket(socket: Duplex, error: GatewayError): void {
  const body = JSON.stringify(errorBody(error));
  socket.end(
    `HTTP/1.1 ${error.status} ${REASONS[error.status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
