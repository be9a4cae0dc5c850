// Every role's own grants and denies in one index: code → the roles that grant (or deny) it. A subject's compiled
// permissions are then the ids of the roles it holds, and a check is one lookup of the code here plus a scan of a few
// ids, however many roles the subject holds. Per-role tries made a check walk one trie per held role, each in its own
// part of a heap of hundreds of MiB: at 100,000 subjects that was a cache miss after another (bench/RESULTS.md).
//
// A role's grants are indexed under the role that writes them, not the roles that inherit them: inheritance lives in
// the held ids (role-graph.ts expands them), so a chain of roles is indexed once. Roles are added when a subject first
// holds them, and never removed: a changed role makes a new graph and a new index (the old one lives on while compiled
// subjects still point at it, as the old tries did).
//
// Patterns follow permission-pattern.ts; concrete codes (most grants) sit in a Map, patterns with `*` or a comma list
// in a trie whose ends carry role ids. A code in the admin namespace skips the root's `*` branch.
import { isAdminCode, parsePermissionPattern, type PatternPart } from './permission-pattern.js';

/** Role ids: one (the common case: most codes are granted by one role), or several. */
type Holders = number | number[];

/** Adds `id`, keeping the list sorted (it is searched: a pattern such as `m4:read:*` may be held by hundreds of roles). */
function withHolder(holders: Holders | undefined, id: number): Holders {
  if (holders === undefined) return id;
  if (typeof holders === 'number') return holders === id ? holders : holders < id ? [holders, id] : [id, holders];
  let at = holders.length;
  while (at > 0 && holders[at - 1]! > id) at--;
  if (holders[at - 1] !== id) holders.splice(at, 0, id);
  return holders;
}

/** Whether a role of `holders` is among `held` (both sorted ascending): each of the shorter list is sought in the longer. */
function heldAny(holders: Holders, held: Int32Array): boolean {
  if (typeof holders === 'number') return has(held, holders);
  if (holders.length <= held.length) {
    for (let i = 0; i < holders.length; i++) if (has(held, holders[i]!)) return true;
    return false;
  }
  for (let i = 0; i < held.length; i++) if (sortedHas(holders, held[i]!)) return true;
  return false;
}

function sortedHas(list: ArrayLike<number>, id: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid]!;
    if (at === id) return true;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Subjects hold a handful of roles, so a scan; past 16 a binary search. */
function has(held: Int32Array, id: number): boolean {
  const n = held.length;
  if (n <= 16) {
    for (let i = 0; i < n; i++) if (held[i] === id) return true;
    return false;
  }
  return sortedHas(held, id);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const STAR = 42;
const COLON = 58;

/**
 * Form keys → their holders, in an open-addressed table of typed arrays: a slot holds the key's hash, the role id
 * when one role holds it (most keys) and the key's number. A lookup is one slot read, and no key text is made: the
 * hash is computed over the code itself (formHash), and the key is made and compared only when the role is one the
 * subject holds.
 */
class CodeTable {
  /** Per slot: [hash, key number + 1 (0: empty), role id, or -1 - n for holders `#several[n]`]. */
  #slots = new Int32Array(3 * 1024);
  #mask = 1023;
  readonly #codes: string[] = [];
  readonly #several: number[][] = [];

  add(code: string, id: number): void {
    const hash = hashCode(code);
    const slots = this.#slots;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = 3 * i;
      const n = slots[at + 1]!;
      if (n === 0) break;
      if (slots[at] !== hash || this.#codes[n - 1] !== code) continue;
      const holder = slots[at + 2]!;
      if (holder === id) return;
      if (holder >= 0) {
        this.#several.push(withHolder(holder, id) as number[]);
        slots[at + 2] = -this.#several.length;
      } else withHolder(this.#several[-1 - holder]!, id);
      return;
    }
    this.#codes.push(code);
    if (2 * this.#codes.length > this.#mask + 1) this.#grow();
    this.#place(hash, this.#codes.length, id);
  }

  #place(hash: number, n: number, holder: number): void {
    const slots = this.#slots;
    let i = hash & this.#mask;
    while (slots[3 * i + 1] !== 0) i = (i + 1) & this.#mask;
    slots[3 * i] = hash;
    slots[3 * i + 1] = n;
    slots[3 * i + 2] = holder;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2);
    this.#mask = this.#mask * 2 + 1;
    for (let at = 0; at < old.length; at += 3) if (old[at + 1] !== 0) this.#place(old[at]!, old[at + 1]!, old[at + 2]!);
  }

  /** Whether a role in `held` holds the key of `code` in `form`; `hash` is hashCode of that key. */
  holds(code: string, hash: number, held: Int32Array, form: Form): boolean {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = 3 * i;
      const n = slots[at + 1]!;
      if (n === 0) return false;
      if (slots[at] !== hash) continue;
      const holder = slots[at + 2]!;
      const yes = holder >= 0 ? has(held, holder) : heldAny(this.#several[-1 - holder]!, held);
      // Only a held role makes the text worth reading: equal hashes of different codes are then told apart.
      if (yes && this.#codes[n - 1] === formKey(code, form)) return true;
    }
  }
}

/** FNV-1a over the UTF-16 code units: keys are short, and the table resolves collisions by comparing the text. */
function hashCode(code: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), FNV_PRIME);
  return h | 0;
}

/**
 * The form of a wildcard pattern: how many parts it has, which of them are `*`, and whether it ends in `*` (and so
 * covers any remainder). Patterns of one form are found by the form's key of a code: its parts with the `*` ones
 * written `*`, cut after `keep` parts. `m4:*:123` and `m9:*:7` are one form; `m4:read:*` another.
 */
interface Form {
  /** Parts compared (for a trailing `*`, the parts before it). */
  readonly keep: number;
  /** Bit i: part i is `*`. */
  readonly mask: number;
  readonly trailing: boolean;
  /** The first part is `*`: never covers a code in the admin namespace (permission-pattern.ts). */
  readonly anyFirst: boolean;
  readonly table: CodeTable;
}

/** hashCode of the form's key of `code`, or undefined when the code has too few (or, without a trailing `*`, too many) parts. */
function formHash(code: string, form: Form): number | undefined {
  const keep = form.keep;
  if (keep === 0) return FNV_OFFSET | 0;
  const length = code.length;
  let h = FNV_OFFSET;
  let part = 0;
  let at = 0;
  for (;;) {
    let end = code.indexOf(':', at);
    if (end === -1) end = length;
    if (((form.mask >>> part) & 1) === 1) h = Math.imul(h ^ STAR, FNV_PRIME);
    else for (let i = at; i < end; i++) h = Math.imul(h ^ code.charCodeAt(i), FNV_PRIME);
    if (++part === keep) return form.trailing || end === length ? h | 0 : undefined;
    if (end === length) return undefined;
    h = Math.imul(h ^ COLON, FNV_PRIME);
    at = end + 1;
  }
}

/** The form's key of `code` as text (made only to confirm a match found by its hash). */
function formKey(code: string, form: Form): string {
  return code
    .split(':')
    .slice(0, form.keep)
    .map((part, i) => (((form.mask >>> i) & 1) === 1 ? '*' : part))
    .join(':');
}

/** Every key a pattern's literal lists stand for (at most MAX_PATTERN_EXPANSION: checked when it was parsed). */
function expand(parts: readonly PatternPart[]): string[] {
  let keys = [''];
  parts.forEach((part, i) => {
    const choices = part === '*' ? ['*'] : part;
    keys = keys.flatMap((key) => choices.map((choice) => (i === 0 ? choice : `${key}:${choice}`)));
  });
  return keys;
}

/** A code of at most 16 literal parts (permission-pattern.ts: what parsePermissionPattern accepts with no `*` or list). */
const PLAIN_CODE = /^[A-Za-z0-9._~@-]+(?::[A-Za-z0-9._~@-]+){0,15}$/;
const MAX_PLAIN_LENGTH = 256;

/** One side (grants or denies) of the index. */
class PatternIndex {
  /** Concrete codes: a Map, whose hash of the code V8 computes natively and keeps with the string. */
  readonly #exact = new Map<string, Holders>();
  readonly #forms: Form[] = [];

  add(id: number, pattern: string): void {
    // Most grants are plain codes: one test instead of a parse (indexing 1,000 roles of 900 grants took ~3 s parsed).
    if (pattern.length <= MAX_PLAIN_LENGTH && PLAIN_CODE.test(pattern)) {
      this.#exact.set(pattern, withHolder(this.#exact.get(pattern), id));
      return;
    }
    const parts = parsePermissionPattern(pattern);
    if (!parts.includes('*')) {
      // No `*`: the pattern is the code as written, or a list of codes.
      for (const code of parts.every((part) => part.length === 1) ? [pattern] : expand(parts)) this.#exact.set(code, withHolder(this.#exact.get(code), id));
      return;
    }
    const trailing = parts.at(-1) === '*';
    const kept = trailing ? parts.slice(0, -1) : parts;
    let mask = 0;
    kept.forEach((part, i) => void (part === '*' && (mask |= 1 << i)));
    const keep = kept.length;
    let form = this.#forms.find((f) => f.keep === keep && f.mask === mask && f.trailing === trailing);
    if (form === undefined) {
      form = { keep, mask, trailing, anyFirst: parts[0] === '*', table: new CodeTable() };
      this.#forms.push(form);
    }
    for (const key of expand(kept)) form.table.add(key, id);
  }

  /** Whether a role in `held` has a pattern covering `code` (a concrete code). */
  covers(code: string, held: Int32Array): boolean {
    const exact = this.#exact.get(code);
    if (exact !== undefined && heldAny(exact, held)) return true;
    const forms = this.#forms;
    if (forms.length === 0) return false;
    const admin = isAdminCode(code);
    for (let i = 0; i < forms.length; i++) {
      const form = forms[i]!;
      if (admin && form.anyFirst) continue;
      const keyHash = formHash(code, form);
      if (keyHash !== undefined && form.table.holds(code, keyHash, held, form)) return true;
    }
    return false;
  }
}

export class GrantIndex {
  readonly #grants = new PatternIndex();
  readonly #denies = new PatternIndex();
  /** Roles with denies of their own: a subject holding none of them skips the deny lookups. */
  readonly #denying = new Set<number>();
  #nextId = 0;
  /** Patterns indexed per id, and how many of them belong to retired ids (role-graph.ts carries an index over). */
  readonly #patterns = new Map<number, number>();
  #live = 0;
  #retired = 0;

  /** An id no role of any graph sharing this index has had. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Indexes one role's own unconditional grants and denies under `id` (`{subject}` patterns are not among them). */
  add(id: number, grants: readonly string[], denies: readonly string[]): void {
    for (const pattern of grants) this.#grants.add(id, pattern);
    for (const pattern of denies) this.#denies.add(id, pattern);
    if (denies.length > 0) this.#denying.add(id);
    this.#patterns.set(id, grants.length + denies.length);
    this.#live += grants.length + denies.length;
  }

  /** `id` is no longer any current role's (its role changed): its entries are left for older compiled subjects. */
  retire(id: number): void {
    const count = this.#patterns.get(id) ?? 0;
    this.#patterns.delete(id);
    this.#live -= count;
    this.#retired += count;
  }

  /** Retired entries outweigh live ones: the next graph starts a new index rather than carrying this one over. */
  get worn(): boolean {
    return this.#retired > Math.max(this.#live, 10_000);
  }

  /** Of `held`, the roles whose denies must be looked at (sorted as `held` is). */
  denying(held: Int32Array): Int32Array {
    return held.filter((id) => this.#denying.has(id));
  }

  granted(code: string, held: Int32Array): boolean {
    return this.#grants.covers(code, held);
  }

  denied(code: string, held: Int32Array): boolean {
    return held.length > 0 && this.#denies.covers(code, held);
  }
}
