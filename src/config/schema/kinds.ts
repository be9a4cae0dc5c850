// The building blocks every section's schema is written with, so a key reads as one line: its kind, its default and
// the one-line description that the configuration reference and editor hovers show. A key with a default is
// optional; the default is filled before the schema is checked (prepare-value.ts).
import { Type, type TSchema, type TString } from './type.js';
import type { FormatName } from './formats.js';

/**
 * Two annotations beyond JSON Schema, read by the message mapper (schema-issues.ts): `errorMessage` replaces the
 * message of every failed check of the node except its type (`{got}`: the value), `errorHint` adds a hint.
 */
export interface Annotations {
  readonly errorMessage?: string;
  readonly errorHint?: string;
}

type Extra = Annotations & { readonly default?: unknown; readonly maxLength?: number; readonly pattern?: string; readonly title?: string };

/** A key that may be left out; its default, if any, is filled in. */
export const optional = Type.Optional;

/** A string; empty only with `allowEmpty` (an empty value otherwise means a forgotten one). */
export function text(description: string, { allowEmpty = false, ...extra }: Extra & { readonly allowEmpty?: boolean } = {}): TString {
  return Type.String({ description, ...(allowEmpty ? {} : { minLength: 1 }), ...extra });
}

export function formatted(format: FormatName, description: string, extra: Extra = {}): TString {
  return Type.String({ format, description, ...extra });
}

export const duration = (description: string, fallback?: string) => formatted('duration', description, fallback === undefined ? {} : { default: fallback });
export const size = (description: string, fallback?: string) => formatted('size', description, fallback === undefined ? {} : { default: fallback });
export const rate = (description: string, fallback?: string) => formatted('rate', description, fallback === undefined ? {} : { default: fallback });

export function integer(minimum: number, maximum: number, description: string, fallback?: number) {
  return Type.Integer({ minimum, maximum, description, ...(fallback === undefined ? {} : { default: fallback }) });
}

/** A fraction from 0 to 1 (a sampling ratio). */
export function ratio(description: string, fallback: number) {
  return Type.Number({ minimum: 0, maximum: 1, description, default: fallback });
}

export function flag(description: string, fallback: boolean) {
  return Type.Boolean({ description, default: fallback });
}

/** One of a few words; a near miss is answered with the closest one. */
export function choice<const T extends string[]>(choices: readonly [...T], description: string, fallback?: T[number]) {
  return Type.Enum([...choices] as [...T], { description, ...(fallback === undefined ? {} : { default: fallback }) });
}

export function list<T extends TSchema>(items: T, description: string, extra: Annotations & { readonly default?: unknown[]; readonly minItems?: number } = {}) {
  return Type.Array(items, { description, ...extra });
}

/** A mapping with these keys only: any other key is refused, with the closest known one as a hint. */
export function mapping<P extends Record<string, TSchema>>(properties: P, description: string, extra: Annotations & { readonly default?: object; readonly title?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, description, ...extra });
}

/** A mapping from names the operator chooses (upstreams, roles, headers) to values of one shape. */
export function mapOf<T extends TSchema>(value: T, description: string, extra: Annotations & { readonly default?: object } = {}) {
  return Type.Record(value, { description, ...extra });
}
