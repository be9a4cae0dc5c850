// Permission strings that are exact literals in their own system (Spring authorities, Casbin objects and actions)
// become permgate codes only when they already are plain codes: `*` and `,` would turn a literal into a pattern that
// grants more than the legacy system ever did, so such a string maps to nothing and is reported.
const PLAIN_CODE = /^[A-Za-z0-9._~@-]+(?::[A-Za-z0-9._~@-]+)*$/;

/** @example literalCodes('order:read') → ['order:read']; literalCodes('order:*') → []; literalCodes('/data/1') → [] */
export function literalCodes(raw: string): readonly string[] {
  return raw.length <= 256 && PLAIN_CODE.test(raw) ? [raw] : [];
}
