// Audit paging cursors: opaque to clients (base64url), checked strictly on the way back in, so a cursor this trail did
// not give out is a 400 (PG_ADMIN_BAD_INPUT), never a 500 or a query built from client text.
import { GatewayError } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Wraps a store's position in an opaque cursor.
 * @example encodeAuditCursor('m', '42') // 'bTo0Mg'
 */
export function encodeAuditCursor(store: string, position: string): string {
  return Buffer.from(`${store}:${position}`).toString('base64url');
}

/**
 * The position inside a cursor given out by the store tagged `store`, whose positions match `shape`.
 * @example decodeAuditCursor('bTo0Mg', 'm', /^\d{1,15}$/) // '42'
 */
export function decodeAuditCursor(cursor: string, store: string, shape: RegExp): string {
  const text = BASE64URL.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const prefix = `${store}:`;
  const position = text.slice(prefix.length);
  if (!text.startsWith(prefix) || !shape.test(position)) {
    throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"cursor" is not one this audit trail gave out' });
  }
  return position;
}
