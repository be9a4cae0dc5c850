// Ajv's errors as problems a person can act on: one per mistake, at the key path of the offending value, in the
// words permgate has always used (`unknown key (did you mean "upstream"?)`, `expected a duration, got 5`). Where a
// value may take several shapes (`anyOf`), only the errors of the shape it was evidently meant to have are kept.
import type { ErrorObject } from 'ajv';
import { describe } from '../checker.js';
import { closest } from '../suggest.js';
import { FORMATS, type FormatName } from './formats.js';
import { isPlainObject, typeMatches, type SchemaNode } from './schema-node.js';

export type KeyPath = readonly (string | number)[];

export interface SchemaProblem {
  readonly path: KeyPath;
  /** The Ajv keyword that failed (`additionalProperties`, `type`, `required`, ...), for callers with their own words. */
  readonly keyword: string;
  readonly message: string;
  readonly hint?: string | undefined;
  /** The problem is the key itself (an unknown key), not its value. */
  readonly key: boolean;
  /** The schema node that failed. */
  readonly schema: SchemaNode;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'expected a mapping (key: value)',
  array: 'expected a list',
  string: 'expected a string',
  integer: 'expected a whole number',
  number: 'expected a number',
  boolean: 'expected true or false',
};

function pathOf(pointer: string, root: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      path.push(Number(part));
      node = node[Number(part)];
    } else {
      path.push(part);
      node = isPlainObject(node) ? node[part] : undefined;
    }
  }
  return path;
}

/** Keeps, for each failed `anyOf`, the errors of the one branch the value was meant for (innermost first). */
function resolveAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  let kept = [...errors];
  const unions = kept.filter((e) => e.keyword === 'anyOf').sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`;
    // Errors of this union's branches: under its schema path, at its value or inside it (other list items share
    // the schema path).
    const inside = (e: ErrorObject): boolean =>
      e.schemaPath.startsWith(prefix) && (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`));
    const branches = (union.parentSchema as SchemaNode).anyOf ?? [];
    const counts = branches.map((_, i) => kept.filter((e) => inside(e) && e.schemaPath.startsWith(`${prefix}${i}/`)).length);
    let chosen = -1;
    branches.forEach((branch, i) => {
      if (typeMatches(branch, union.data) && (chosen === -1 || counts[i]! < counts[chosen]!)) chosen = i;
    });
    kept = kept.filter((e) => {
      if (e === union) return chosen === -1;
      return !inside(e) || (chosen !== -1 && e.schemaPath.startsWith(`${prefix}${chosen}/`));
    });
  }
  return kept;
}

function fill(template: string, value: unknown): string {
  return template.replaceAll('{got}', describe(value));
}

function kinds(node: SchemaNode): string {
  const words = (node.anyOf ?? []).map((b) => (b.const !== undefined ? String(b.const) : b.enum ? b.enum.join(', ') : (TYPE_WORDS[String(b.type)] ?? String(b.type)).replace('expected ', '')));
  return `expected ${words.join(' or ')}`;
}

function problemOf(error: ErrorObject, root: unknown): SchemaProblem {
  const schema = error.parentSchema as SchemaNode;
  const at = pathOf(error.instancePath, root);
  const got = error.data;
  const own = (message: string, hint?: string): SchemaProblem => ({
    path: at,
    keyword: error.keyword,
    message: schema.errorMessage ? fill(schema.errorMessage, got) : message,
    hint: schema.errorHint ?? hint,
    key: false,
    schema,
  });
  const format = schema.format === undefined ? undefined : FORMATS[schema.format as FormatName];
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const child = schema.properties?.[missing] ?? {};
      return { path: [...at, missing], keyword: 'required', message: 'is required', hint: child.errorHint, key: false, schema: child };
    }
    case 'propertyNames': {
      const extra = (error.params as { propertyName: string }).propertyName;
      const known = ((schema as { propertyNames?: { enum?: string[] } }).propertyNames?.enum ?? []).map(String);
      const guess = closest(extra, known);
      return { ...own('unknown key', guess ? `did you mean "${guess}"?` : `known keys: ${known.join(', ')}`), path: [...at, extra], key: true };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(schema.properties ?? {});
      const guess = closest(extra, known);
      const hint = guess ? `did you mean "${guess}"?` : `known keys: ${known.join(', ')}`;
      return { ...own('unknown key', hint), path: [...at, extra], key: true };
    }
    case 'type':
      if (format) return { ...own(''), message: fill(format.message, got), hint: format.hint };
      return { ...own(''), message: `${TYPE_WORDS[String(schema.type)] ?? `expected ${String(schema.type)}`}, got ${describe(got)}`, hint: undefined };
    case 'format':
      return own(format ? fill(format.message, got) : `is not a ${schema.format}`, format?.hint);
    case 'enum': {
      const choices = (schema.enum ?? []).map(String);
      const guess = typeof got === 'string' ? closest(got, choices) : undefined;
      return own(`expected one of ${choices.join(', ')}, got ${describe(got)}`, guess ? `did you mean "${guess}"?` : undefined);
    }
    case 'const':
      return own(`expected ${String(schema.const)}, got ${describe(got)}`);
    case 'minimum':
    case 'maximum':
      return own(`must be between ${schema.minimum} and ${schema.maximum}, got ${String(got)}`);
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return own('must not be empty');
    case 'maxLength':
      return own(`must be at most ${schema.maxLength} characters`);
    case 'anyOf':
      return own(`${kinds(schema)}, got ${describe(got)}`);
    default:
      return own(error.message ?? `fails ${error.keyword}`);
  }
}

/** The problems in Ajv's errors for `root`, one per mistake. */
export function schemaProblems(errors: readonly ErrorObject[] | null | undefined, root: unknown): SchemaProblem[] {
  // A key refused by `propertyNames` comes with the error of the name's own check: the first says it all.
  const own = (errors ?? []).filter((e) => e.keyword === 'propertyNames' || (e.params as { propertyName?: string }).propertyName === undefined);
  return resolveAnyOf(own).map((error) => problemOf(error, root));
}
