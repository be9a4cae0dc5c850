// A compiled set of permission patterns. Concrete codes (most grants) sit in one Set: a check is one lookup. Patterns
// with `*` or a comma list go into a trie; checking a code walks at most one branch per part plus the `*` branch, so
// the cost depends on the code's length, not on how many patterns were granted. A code in the admin namespace skips
// the root's `*` branch: only a pattern whose first part names `permgate` reaches it (permission-pattern.ts).
import { ADMIN_ROOT, isAdminCode, parsePermissionPattern, SUBJECT_PART, type PatternPart } from './permission-pattern.js';

interface Node {
  /** Literal part → child. A Map, so a part named `constructor` or `__proto__` is only a name. */
  children: Map<string, Node> | undefined;
  /** The child for a `*` in this position (one part). */
  any: Node | undefined;
  /** A pattern ends here with a trailing `*`: everything below is covered. */
  coversRest: boolean;
  /** A pattern ends exactly here. */
  terminal: boolean;
}

function node(): Node {
  return { children: undefined, any: undefined, coversRest: false, terminal: false };
}

export class PermissionTrie {
  readonly #root = node();
  readonly #exact = new Set<string>();
  #size = 0;
  /** Patterns in the trie (the rest are in #exact). */
  #wild = 0;

  /** How many patterns were added. */
  get size(): number {
    return this.#size;
  }

  add(pattern: string | readonly PatternPart[]): void {
    const parts = typeof pattern === 'string' ? parsePermissionPattern(pattern) : pattern;
    // A `{subject}` part is filled in per holder (compile.ts); as written it must never match a code.
    if (parts.some((part) => part !== '*' && part[0] === SUBJECT_PART)) throw new Error(`a {subject} pattern is filled in before it is compiled: ${String(pattern)}`);
    this.#size++;
    if (parts.every((part) => part !== '*' && part.length === 1)) {
      this.#exact.add(parts.map((part) => part[0]).join(':'));
      return;
    }
    this.#wild++;
    let frontier: Node[] = [this.#root];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '*' && i === parts.length - 1) {
        for (const n of frontier) n.coversRest = true;
        return;
      }
      const next: Node[] = [];
      for (const n of frontier) {
        if (part === '*') next.push((n.any ??= node()));
        else {
          n.children ??= new Map();
          for (const literal of part) {
            let child = n.children.get(literal);
            if (child === undefined) n.children.set(literal, (child = node()));
            next.push(child);
          }
        }
      }
      frontier = next;
    }
    for (const n of frontier) n.terminal = true;
  }

  /** Whether any pattern covers `code` (a concrete code: parts joined by `:`). */
  covers(code: string): boolean {
    if (this.#exact.has(code)) return true;
    if (this.#wild === 0) return false;
    const root = this.#root;
    // Only a trie with a `*` first part pays for the namespace check; ordinary codes then pay one prefix compare.
    if ((root.any !== undefined || root.coversRest) && isAdminCode(code)) {
      const named = root.children?.get(ADMIN_ROOT);
      return named !== undefined && walk(named, code, ADMIN_ROOT.length + 1);
    }
    return walk(root, code, 0);
  }
}

function walk(n: Node, code: string, start: number): boolean {
  if (n.coversRest) return true;
  if (start > code.length) return n.terminal;
  let end = code.indexOf(':', start);
  if (end === -1) end = code.length;
  const child = n.children?.get(code.slice(start, end));
  if (child !== undefined && walk(child, code, end + 1)) return true;
  return n.any !== undefined && walk(n.any, code, end + 1);
}
