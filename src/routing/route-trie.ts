// A trie of path patterns: static segments, `:name`, `*` and a trailing `**`. Lookup cost follows the number of
// segments in the path, not the number of routes.
import { normalizeTarget } from './normalize-path.js';

/** One segment of a pattern, parsed. */
export type PatternSegment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'globstar' };

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a route pattern. Static segments must already be in canonical form (see normalize-path.ts), so a pattern
 * can only ever match paths that normalization can produce.
 * @example parsePattern('/api/:id/**') // [static api, param id, globstar]
 */
export function parsePattern(pattern: string): PatternSegment[] {
  if (!pattern.startsWith('/')) throw new PatternError('a pattern starts with /');
  if (pattern === '/') return [];
  const parts = pattern.slice(1).split('/');
  if (parts.at(-1) === '') parts.pop(); // a trailing slash in a pattern means nothing (see trailing-slash rule)
  const seen = new Set<string>();
  return parts.map((part, index): PatternSegment => {
    if (part === '') throw new PatternError('empty segment (//) in pattern');
    if (part === '**') {
      if (index !== parts.length - 1) throw new PatternError('** may only be the last segment');
      return { kind: 'globstar' };
    }
    if (part === '*') return { kind: 'star' };
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) throw new PatternError(`parameter name "${name}" must match ${PARAM_NAME}`);
      if (seen.has(name)) throw new PatternError(`parameter :${name} appears twice`);
      seen.add(name);
      return { kind: 'param', name };
    }
    if (part === '.' || part === '..') throw new PatternError('dot segments cannot be matched');
    if (part.includes('*')) throw new PatternError(`segment "${part}": * and ** stand for a whole segment`);
    if (!isCanonicalSegment(part)) {
      throw new PatternError(`segment "${part}" is not in canonical form, so no request could match it (see the path rules in the README)`);
    }
    return { kind: 'static', value: part };
  });
}

function isCanonicalSegment(segment: string): boolean {
  try {
    return normalizeTarget('/' + segment, { caseInsensitive: false }).path === '/' + segment;
  } catch {
    return false;
  }
}

interface Node<T> {
  statics: Map<string, Node<T>> | undefined;
  param: Node<T> | undefined;
  star: Node<T> | undefined;
  /** The value of a pattern ending here in `**`: matches this point and everything below it. */
  globstar: T | undefined;
  /** The value of a pattern ending exactly here. */
  exact: T | undefined;
}

function newNode<T>(): Node<T> {
  return { statics: undefined, param: undefined, star: undefined, globstar: undefined, exact: undefined };
}

export interface TrieMatch<T> {
  readonly value: T;
}

/**
 * Precedence, segment by segment: static > `:param` > `*` > `**`. A more specific pattern that fails further down
 * gives way to the next candidate (backtracking), and the deepest `**` seen is the last resort.
 */
export class RouteTrie<T> {
  readonly #root: Node<T> = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Returns the value already stored under the same pattern shape, if any; otherwise stores `value`. */
  insert(segments: readonly PatternSegment[], value: T): T | undefined {
    let node = this.#root;
    for (const segment of segments) {
      switch (segment.kind) {
        case 'static': {
          node.statics ??= new Map();
          let next = node.statics.get(segment.value);
          if (next === undefined) node.statics.set(segment.value, (next = newNode()));
          node = next;
          break;
        }
        case 'param':
          node = node.param ??= newNode();
          break;
        case 'star':
          node = node.star ??= newNode();
          break;
        case 'globstar':
          if (node.globstar !== undefined) return node.globstar;
          node.globstar = value;
          this.#size++;
          return undefined;
      }
    }
    if (node.exact !== undefined) return node.exact;
    node.exact = value;
    this.#size++;
    return undefined;
  }

  /** Finds the value for a canonical path's segments, or undefined. */
  lookup(segments: readonly string[]): T | undefined {
    return walk(this.#root, segments, 0);
  }
}

function walk<T>(node: Node<T>, segments: readonly string[], index: number): T | undefined {
  if (index === segments.length) return node.exact ?? node.globstar;
  const segment = segments[index]!;
  const child = node.statics?.get(segment);
  if (child !== undefined) {
    const found = walk(child, segments, index + 1);
    if (found !== undefined) return found;
  }
  if (node.param !== undefined) {
    const found = walk(node.param, segments, index + 1);
    if (found !== undefined) return found;
  }
  if (node.star !== undefined) {
    const found = walk(node.star, segments, index + 1);
    if (found !== undefined) return found;
  }
  return node.globstar;
}
