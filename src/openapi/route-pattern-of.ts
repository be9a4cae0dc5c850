// An OpenAPI path template as a permgate route pattern: `{id}` segments become `:id`, literal segments take their
// canonical form, and a segment mixing literal text and parameters (`{x}-{y}`, `{name}.json`) becomes one parameter
// whose `params` grammar keeps exactly the literal text, so the route is never broader than the operation.
import { normalizeTarget } from '../routing/normalize-path.js';

export interface RoutePattern {
  /** `/api/v1/post/:id` */
  readonly pattern: string;
  /** The pattern with every parameter written `:`, so `/x/:id`, `/x/:key` and `/x/{k}.json` have one shape (one trie slot). */
  readonly shape: string;
  /** The route's parameter names, in path order. */
  readonly params: readonly string[];
  /** Grammars (for the route's `params`) of the parameters made from mixed segments. */
  readonly grammars: ReadonlyMap<string, string>;
  /** Each document parameter name → the route parameter it became; names inside a mixed segment are not here. */
  readonly renamed: ReadonlyMap<string, string>;
  /** Notes for the operator: a mixed segment, a literal `*`. */
  readonly notes: readonly string[];
}

const WHOLE_PARAM = /^\{([^{}]+)\}$/;
const PARAM_PIECE = /\{([^{}]+)\}/g;

/** A name the route grammar accepts (`[A-Za-z_][A-Za-z0-9_]*`): other characters become `_`. */
function paramName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `p_${cleaned}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A literal segment in canonical form, or undefined when no request could ever carry it. */
function canonicalSegment(segment: string): string | undefined {
  try {
    const { segments } = normalizeTarget('/' + encodeURIComponent(segment), { caseInsensitive: false });
    return segments.length === 1 ? segments[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @example routePatternOf('/api', '/post/{id}').pattern // '/api/post/:id'
 * @example routePatternOf('', '/a/{x}-{y}') // pattern '/a/:x_y', grammars x_y → '(?:.+?)-(?:.+?)'
 * @returns the pattern, or a string saying why the path cannot be a route
 */
export function routePatternOf(prefix: string, path: string): RoutePattern | string {
  const parts = `${prefix}/${path}`.split('/').filter((part) => part !== '');
  const segments: string[] = [];
  const shape: string[] = [];
  const params: string[] = [];
  const grammars = new Map<string, string>();
  const renamed = new Map<string, string>();
  const notes: string[] = [];
  const unique = (base: string): string => {
    let name = base;
    for (let n = 2; params.includes(name); n++) name = `${base}_${n}`;
    params.push(name);
    return name;
  };
  for (const part of parts) {
    const whole = WHOLE_PARAM.exec(part);
    if (whole !== null) {
      const name = unique(paramName(whole[1]!));
      renamed.set(whole[1]!, name);
      segments.push(':' + name);
      shape.push(':');
    } else if (part.includes('{')) {
      const names = [...part.matchAll(PARAM_PIECE)].map((m) => paramName(m[1]!));
      const literals = part.split(PARAM_PIECE).filter((_, i) => i % 2 === 0);
      const canonical = literals.map((literal) => (literal === '' ? '' : canonicalSegment(literal)));
      if (canonical.some((literal) => literal === undefined) || part.replace(PARAM_PIECE, '').includes('{')) {
        return `segment "${part}" holds text no request can carry`;
      }
      const name = unique(names.join('_'));
      // Each parameter takes at least one character, as a template engine would need to fill it.
      const grammar = canonical.map((literal, i) => escapeRegExp(literal!) + (i < names.length ? '(?:.+?)' : '')).join('');
      grammars.set(name, grammar);
      segments.push(':' + name);
      shape.push(':');
      notes.push(`segment "${part}" mixes text and parameters: one parameter :${name} with the grammar ${grammar}`);
    } else if (part === '*') {
      segments.push('*');
      shape.push('*');
      notes.push('a literal "*" segment stands for any one segment (as in a Spring mapping)');
    } else if (part.includes('*')) {
      return `segment "${part}": a wildcard inside a segment cannot be routed`;
    } else {
      const canonical = canonicalSegment(part);
      if (canonical === undefined) return `segment "${part}" is not a path segment any request can carry`;
      segments.push(canonical);
      shape.push(canonical);
    }
  }
  return { pattern: '/' + segments.join('/'), shape: '/' + shape.join('/'), params, grammars, renamed, notes };
}
