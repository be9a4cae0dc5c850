// How grant and deny patterns relate to what routes require, without concrete requests: whether a pattern can
// cover some code a route's template can produce, and whether one pattern covers everything another does. The rules
// are those of rbac/permission-pattern.ts (a trailing `*` covers any remainder; `*` first never reaches the admin
// namespace); parameters in a template (`channel:delete:{channelId}`) stand for any one part.
import { ADMIN_ROOT, type PatternPart } from '../rbac/permission-pattern.js';

/** A required code as lint sees it: each part a literal, or `undefined` where a path parameter fills it. */
export type TemplateParts = readonly (string | undefined)[];

/** @example templateParts('channel:delete:{channelId}') → ['channel', 'delete', undefined] */
export function templateParts(source: string): TemplateParts {
  return source.split(':').map((part) => (part.includes('{') ? undefined : part));
}

/**
 * Whether `pattern` covers at least one code `template` can require. A parameter part is satisfied by any part of
 * the pattern, since some request fills it with that value.
 * @example patternMeetsTemplate(parse('channel:delete:42'), templateParts('channel:delete:{id}')) → true
 */
export function patternMeetsTemplate(pattern: readonly PatternPart[], template: TemplateParts): boolean {
  if (pattern[0] === '*' && template[0] === ADMIN_ROOT) return false;
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part === '*' && i === pattern.length - 1) return true;
    if (i >= template.length) return false;
    const actual = template[i];
    if (part !== '*' && actual !== undefined && !part.includes(actual)) return false;
  }
  return pattern.length === template.length;
}

/**
 * Whether every code `inner` covers is also covered by `outer` (a deny that cancels a grant). Part by part: a list
 * is covered by `*` or by a list holding all its items; a trailing `*` covers any remainder.
 * @example patternSubsumes(parse('admin:*'), parse('admin:users:read')) → true
 */
export function patternSubsumes(outer: readonly PatternPart[], inner: readonly PatternPart[]): boolean {
  for (let i = 0; ; i++) {
    if (i === outer.length) return i === inner.length;
    const o = outer[i]!;
    if (o === '*' && i === outer.length - 1) {
      // `*` as the first part leaves the admin namespace out, so it cannot cancel a grant that names it.
      return !(i === 0 && inner[0] !== '*' && inner[0]!.includes(ADMIN_ROOT));
    }
    if (i === inner.length) return false;
    const n = inner[i]!;
    if (n === '*' && i === inner.length - 1) return false; // any remainder: only a trailing `*` covers it
    if (o === '*') continue;
    if (n === '*' || !n.every((item) => o.includes(item))) return false;
  }
}
