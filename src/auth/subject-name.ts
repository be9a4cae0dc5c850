// The one grammar of a subject (a caller's name), shared by the data plane (a token's `sub`), the admin API (paths
// and bodies), the config's `rbac.subjects` and the CLI: whatever the data plane accepts, the admin plane can manage.
//
// Any Unicode text is a name (`李雷`, `José`, `alice@example.com`, `Jane Doe`), except what would make one caller two
// (or two callers one) somewhere along the chain: whitespace at either end (`"admin "` would be a distinct caller
// here and `admin` upstream), control characters (they cannot travel in a header and mean nothing in a name) and
// lone surrogates (not text: no encoding can carry them, and Node throws on them in a header).

/** UTF-16 code units; a longer `sub` is refused rather than truncated, so two long names never become one. */
export const SUBJECT_MAX_LENGTH = 1024;

// \p{Cc}: C0 controls, DEL and C1 controls. Format characters (zero-width joiners, bidi marks) are allowed inside a
// name: real names in several scripts need them; they are percent-encoded on the way to the upstream.
const CONTROL = /\p{Cc}/u;
const EDGE_SPACE = /^\s|\s$/u;

/** Why `value` is not a subject, or undefined when it is one. The reason names no part of the value. */
export function subjectProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'a subject is a string';
  if (value === '') return 'a subject is not empty';
  if (value.length > SUBJECT_MAX_LENGTH) return `a subject is at most ${SUBJECT_MAX_LENGTH} characters`;
  if (!value.isWellFormed()) return 'a subject is well-formed Unicode (no lone surrogates)';
  if (CONTROL.test(value)) return 'a subject holds no control characters';
  if (EDGE_SPACE.test(value)) return 'a subject has no whitespace at either end';
  return undefined;
}

/**
 * @example isSubject('李雷') → true; isSubject('admin ') → false; isSubject('a\u0000b') → false
 */
export function isSubject(value: unknown): value is string {
  return subjectProblem(value) === undefined;
}
