// Permission codes a route requires, with `{name}` parts filled from path parameters (`channel:delete:{channelId}`).
import { GatewayError } from '../errors.js';

/** A concrete permission code such as `order:read` or `channel:delete:42`. Compared exactly, never as a pattern. */
export type PermissionCode = string & { readonly __brand: 'PermissionCode' };

type Piece = { readonly literal: string } | { readonly param: string };

/** What one part of a code may hold. `*` is for grants (RBAC), never for what a route requires. */
const LITERAL = /^[A-Za-z0-9._~@-]*$/;
/** What a parameter value must be to fill a code: it cannot add a part (`:`), a wildcard or whitespace. */
export const PARAM_VALUE = /^[A-Za-z0-9._~@-]+$/;

export class TemplateError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export class PermissionTemplate {
  readonly source: string;
  readonly #pieces: readonly Piece[];
  /** The filled code when the template has no parameter: computed once. */
  readonly #constant: PermissionCode | undefined;

  private constructor(source: string, pieces: readonly Piece[]) {
    this.source = source;
    this.#pieces = pieces;
    this.#constant = pieces.every((p) => 'literal' in p) ? (source as PermissionCode) : undefined;
  }

  /**
   * @example PermissionTemplate.parse('channel:delete:{channelId}', new Set(['channelId']))
   * @throws TemplateError for a malformed code or a `{name}` the pattern has no `:name` for
   */
  static parse(source: string, params: ReadonlySet<string>): PermissionTemplate {
    const pieces: Piece[] = [];
    const parts = source.split(':');
    if (parts.some((part) => part === '')) throw new TemplateError(`"${source}" has an empty part`, 'codes are parts joined by ":", e.g. order:read');
    let rest = source;
    while (rest.length > 0) {
      const open = rest.indexOf('{');
      const literal = open === -1 ? rest : rest.slice(0, open);
      if (!LITERAL.test(literal.replaceAll(':', ''))) {
        throw new TemplateError(`"${source}" holds characters a code cannot have`, 'letters, digits and . _ ~ @ - in parts joined by ":"');
      }
      if (literal) pieces.push({ literal });
      if (open === -1) break;
      const close = rest.indexOf('}', open);
      if (close === -1) throw new TemplateError(`"${source}" has an unclosed {`);
      const name = rest.slice(open + 1, close);
      if (!params.has(name)) {
        const known = [...params].map((p) => ':' + p).join(', ');
        throw new TemplateError(`{${name}} names no parameter of this route's path`, known ? `the path has ${known}` : `add :${name} to the path`);
      }
      pieces.push({ param: name });
      rest = rest.slice(close + 1);
    }
    return new PermissionTemplate(source, pieces);
  }

  /** The parameter names this template reads. */
  get params(): string[] {
    return this.#pieces.flatMap((p) => ('param' in p ? [p.param] : []));
  }

  /** Fills the template. A value that could widen the code is PG_PARAM_INVALID (400), never a wider grant. */
  fill(param: (name: string) => string): PermissionCode {
    if (this.#constant !== undefined) return this.#constant;
    let code = '';
    for (const piece of this.#pieces) {
      if ('literal' in piece) {
        code += piece.literal;
        continue;
      }
      const value = param(piece.param);
      if (!PARAM_VALUE.test(value)) {
        throw new GatewayError('PG_PARAM_INVALID', { detail: `path parameter "${piece.param}" may hold only letters, digits and . _ ~ @ -` });
      }
      code += value;
    }
    return code as PermissionCode;
  }
}
