// The concrete codes an access diff decides for one code template. A template without parameters is itself. A scoped
// template (`channel:delete:{channelId}`) stands for many codes, but only the values some grant or deny names at the
// parameter's position can be decided differently from the rest, so it is decided for those values
// (`channel:delete:42`) and once for "any other value": the template itself, whose `{channelId}` part no pattern can
// name (braces are not allowed in a pattern), so only `*` and trailing `*` patterns cover it.
import { parsePermissionPattern, type PatternPart } from '../rbac/permission-pattern.js';
import type { PermissionCode } from '../routing/permission-template.js';

/** Values tried per template, beyond the generic one: a bound on the table's size, not on correctness of the rest. */
export const MAX_NAMED_VALUES = 64;

const PARAM = /^\{[^}]*\}$/;

/** Whether a pattern part could cover the template's part at the same position (a parameter: any value could). */
function compatible(pattern: PatternPart, part: string): boolean {
  return pattern === '*' || PARAM.test(part) || pattern.includes(part);
}

/** Every grant and deny pattern of both sides, parsed once and filed by first part (a policy holds thousands). */
export class PatternIndex {
  readonly #byFirst = new Map<string, PatternPart[][]>();
  readonly #anyFirst: PatternPart[][] = [];

  constructor(patterns: Iterable<string>) {
    for (const text of new Set(patterns)) {
      let parsed: PatternPart[];
      try {
        parsed = parsePermissionPattern(text);
      } catch {
        continue; // a pattern the gateway would not compile covers nothing; nothing to try
      }
      const first = parsed[0]!;
      if (first === '*') this.#anyFirst.push(parsed);
      else for (const literal of first) this.#byFirst.set(literal, [...(this.#byFirst.get(literal) ?? []), parsed]);
    }
  }

  /** Patterns whose first part may meet `part` (a template's parameter: all of them). */
  meeting(part: string): readonly PatternPart[][] {
    if (PARAM.test(part)) return [...[...this.#byFirst.values()].flat(), ...this.#anyFirst];
    return [...(this.#byFirst.get(part) ?? []), ...this.#anyFirst];
  }
}

/**
 * @example codeInstances('channel:delete:{id}', new PatternIndex(['channel:delete:42', 'order:*'])) → ['channel:delete:{id}', 'channel:delete:42']
 */
export function codeInstances(template: string, index: PatternIndex): PermissionCode[] {
  const parts = template.split(':');
  const slots = parts.map((part, i) => (PARAM.test(part) ? i : -1)).filter((i) => i >= 0);
  const out = new Set<string>([template]);
  if (slots.length === 0) return [...out] as PermissionCode[];
  const parsed = index.meeting(parts[0]!);
  for (const slot of slots) {
    for (const pattern of parsed) {
      const at = pattern[slot];
      if (at === undefined || at === '*') continue;
      // The parts before the slot must be able to meet the template's, or the value names another object kind.
      if (!parts.slice(0, slot).every((part, i) => compatible(pattern[i]!, part))) continue;
      for (const value of at) {
        if (out.size > MAX_NAMED_VALUES) break;
        const filled = [...parts];
        filled[slot] = value;
        out.add(filled.join(':'));
      }
    }
  }
  return [...out] as PermissionCode[];
}
