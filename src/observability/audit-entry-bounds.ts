// Bounds every audit entry before a store keeps it, so neither an 8 KB request path nor a huge role definition makes
// one entry expensive (issue #10: a denial could cost ~15 KB of Redis). A cut string ends with `…`; a payload still
// too large after its strings are cut is replaced by a short preview; either way the entry is marked `truncated`.
import type { AuditEntry, AuditKind } from './audit-trail.js';

export const AUDIT_BOUNDS = {
  /** `actor`, `action` and `target`, in characters (UTF-16 code units). */
  field: 256,
  /** Every string inside `before` and `after`, in characters. */
  payloadString: 512,
  /** `before` and `after` each, as JSON, in UTF-8 bytes (after their strings are cut). */
  payloadBytes: 8_192,
  /** What an oversized payload keeps: the start of its JSON text, in characters. */
  preview: 1_024,
} as const;

/** An entry as a store keeps it: its kind settled, its size bounded. */
export type BoundedAuditEntry = AuditEntry & { readonly kind: AuditKind; readonly truncated?: true };

/** An oversized payload, as stored in its place. */
export interface TruncatedPayload {
  readonly truncated: true;
  /** The size of the original JSON, in UTF-8 bytes. */
  readonly bytes: number;
  readonly preview: string;
}

/**
 * Cuts `text` to `max` characters, ending with `…`, never splitting a surrogate pair.
 * @example cut('abcdef', 4) // { text: 'abc…', cut: true }
 */
export function cut(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return { text: `${text.slice(0, end)}…`, cut: true };
}

/**
 * The entry a store keeps: strings cut, payloads bounded, `kind` defaulting to `change`.
 * @example boundAuditEntry({ at: 1, actor: 'a', action: 'x', target: 'p'.repeat(300) }).truncated // true
 */
export function boundAuditEntry(entry: AuditEntry): BoundedAuditEntry {
  let truncated = false;
  const field = (text: string): string => {
    const result = cut(String(text), AUDIT_BOUNDS.field);
    truncated ||= result.cut;
    return result.text;
  };
  const payload = (value: unknown): unknown => {
    const original = JSON.stringify(value) as string | undefined;
    if (original === undefined) return undefined;
    const cutStrings = JSON.parse(original, (_key, inner: unknown) => {
      if (typeof inner !== 'string') return inner;
      const result = cut(inner, AUDIT_BOUNDS.payloadString);
      truncated ||= result.cut;
      return result.text;
    }) as unknown;
    const json = JSON.stringify(cutStrings);
    if (Buffer.byteLength(json) <= AUDIT_BOUNDS.payloadBytes) return cutStrings;
    truncated = true;
    const oversized: TruncatedPayload = { truncated: true, bytes: Buffer.byteLength(original), preview: cut(json, AUDIT_BOUNDS.preview).text };
    return oversized;
  };
  const bounded: BoundedAuditEntry = {
    kind: entry.kind ?? 'change',
    at: entry.at,
    actor: field(entry.actor),
    action: field(entry.action),
    target: field(entry.target),
    ...(entry.before === undefined ? {} : { before: payload(entry.before) }),
    ...(entry.after === undefined ? {} : { after: payload(entry.after) }),
  };
  return truncated ? { ...bounded, truncated: true } : bounded;
}
