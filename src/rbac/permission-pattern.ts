// Grant and deny patterns: permission codes whose parts may be `*` or a comma list. Apache Shiro's wildcard
// permissions are the model, with one deliberate difference: a pattern never covers more parts than it has unless it
// ends in `*`. In Shiro `channel:delete` also covers `channel:delete:42`; here it does not, because a grant written
// for a scoped code must not silently become a grant on every object (write `channel:delete:*` for that).
//
//   order:read            covers order:read only
//   order:read,write      covers order:read and order:write
//   channel:*:42          covers channel:delete:42, channel:read:42 (one part each)
//   channel:*             covers channel, channel:read, channel:delete:42 (a trailing * covers any remainder)
//   *                     covers everything except the admin namespace
//   user:edit:{subject}   covers user:edit:alice for alice only: a grant's `{subject}` part is the holder's own
//                         name, filled in when the holder's permissions are compiled (never matched as written)
//
// The admin namespace (`permgate:admin`, `permgate:admin:…`: the admin API's own codes) is reached only by a pattern
// whose first part names `permgate` (`permgate:*`, `permgate:admin:*`, `permgate:admin:rbac:write`); `*`, `*:admin:*`
// and `*:*:*:*` never cover it, so a data-plane grant of everything is not also a grant of the admin plane (issue 10).

/** The first two parts of every admin API code (admin-auth.ts). */
export const ADMIN_NAMESPACE = 'permgate:admin';
/** The part a pattern must name literally to reach the admin namespace. */
export const ADMIN_ROOT = 'permgate';

/** @example isAdminCode('permgate:admin:rbac:write') → true; isAdminCode('permgate:adminx') → false */
export function isAdminCode(code: string): boolean {
  return code.startsWith(ADMIN_NAMESPACE) && (code.length === ADMIN_NAMESPACE.length || code.charCodeAt(ADMIN_NAMESPACE.length) === 58 /* : */);
}

/** One part of a pattern: any single part, or one of a set of literals. */
export type PatternPart = '*' | readonly string[];

const LITERAL = /^[A-Za-z0-9._~@-]+$/;
/** A whole part standing for the caller's own name (see above). */
export const SUBJECT_PART = '{subject}';
const MAX_PARTS = 16;
const MAX_LENGTH = 256;
/**
 * The most concrete codes one pattern may stand for: the product of its list sizes (`a,b:c,d,e` stands for 6). The
 * compiled trie holds one branch per combination, so an unbounded product lets one stored pattern stall the event
 * loop and exhaust memory on every instance, at every start (issue 10 §1). 256 is far above any list written by hand.
 */
export const MAX_PATTERN_EXPANSION = 256;

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

/**
 * @example parsePermissionPattern('channel:read,write:*') → [['channel'], ['read', 'write'], '*']
 * @throws PatternError naming what is wrong
 */
export function parsePermissionPattern(text: string): PatternPart[] {
  if (typeof text !== 'string' || text === '') throw new PatternError('a permission pattern is a non-empty string');
  if (text.length > MAX_LENGTH) throw new PatternError(`"${text.slice(0, 40)}…" is longer than ${MAX_LENGTH} characters`);
  const parts = text.split(':');
  if (parts.length > MAX_PARTS) throw new PatternError(`"${text}" has more than ${MAX_PARTS} parts`);
  let expansion = 1;
  return parts.map((part) => {
    if (part === '*') return '*';
    if (part === '') throw new PatternError(`"${text}" has an empty part (codes are parts joined by ":", e.g. order:read)`);
    const choices = part.split(',');
    for (const choice of choices) {
      if (choice === SUBJECT_PART && choices.length === 1) continue;
      if (!LITERAL.test(choice)) {
        throw new PatternError(`"${text}": "${part}" is not a part (letters, digits and . _ ~ @ -, a comma list of them, or *)`);
      }
    }
    const unique = [...new Set(choices)];
    expansion *= unique.length;
    if (expansion > MAX_PATTERN_EXPANSION) {
      throw new PatternError(`"${text}" stands for more than ${MAX_PATTERN_EXPANSION} codes (the product of its list sizes); split it, or use *`);
    }
    return unique;
  });
}

/** Whether a pattern holds a `{subject}` part (it must be filled in before it is compiled or matched). */
export function namesSubject(pattern: string): boolean {
  return pattern.includes(SUBJECT_PART);
}

/**
 * The pattern for one holder: each `{subject}` part replaced by `subject`; undefined when the name cannot be a part of
 * a code (it holds `:`, a space, …), so the grant grants that holder nothing.
 * @example forSubject('user:edit:{subject}', 'alice') → 'user:edit:alice'
 */
export function forSubject(pattern: string, subject: string): string | undefined {
  if (!LITERAL.test(subject)) return undefined;
  return pattern
    .split(':')
    .map((part) => (part === SUBJECT_PART ? subject : part))
    .join(':');
}

/**
 * Whether one pattern covers one concrete code, by the rules above. The slow, obvious form: the compiled trie
 * (permission-trie.ts) must agree with it, and explanations use it to name the pattern that decided.
 */
export function patternCovers(pattern: readonly PatternPart[], code: string): boolean {
  if (pattern[0] === '*' && isAdminCode(code)) return false; // the admin namespace must be named (see above)
  const parts = code.split(':');
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const last = i === pattern.length - 1;
    if (part === '*' && last) return true;
    const actual = parts[i];
    if (actual === undefined) return false;
    if (part !== '*' && !part.includes(actual)) return false;
  }
  return parts.length === pattern.length;
}
