// What a YAML document needs before it is checked against the schema, guided by the schema itself: a key written
// with no value (`key:`) counts as left out, an empty value takes the key's default (as `${VAR:-}` gives), a whole
// number or true/false from `${VAR}` (always a string) becomes the number or boolean the key wants, a number where
// text is wanted becomes text, and every default the document leaves out is filled in.
import { isPlainObject, typeMatches, type SchemaNode } from './schema-node.js';

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The value this schema node takes when it is left out or empty; undefined: none. */
function fallbackOf(schema: SchemaNode): unknown {
  return schema.default === undefined ? undefined : prepareValue(schema, clone(schema.default));
}

/** Returns a prepared copy; the input is not changed. Values the schema refuses are passed on for it to report. */
export function prepareValue(schema: SchemaNode, value: unknown): unknown {
  if (typeof value === 'string') {
    if (schema.type === 'integer' && /^\d+$/.test(value.trim())) return Number(value);
    if (schema.type === 'number' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
    if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  }
  if (typeof value === 'number' && schema.type === 'string' && schema.format === undefined) return String(value);
  if (schema.anyOf !== undefined) {
    const matching = schema.anyOf.filter((branch) => typeMatches(branch, value));
    return matching.length === 1 ? prepareValue(matching[0]!, value) : value;
  }
  if (Array.isArray(value) && schema.items !== undefined) return value.map((item) => prepareValue(schema.items!, item));
  if (!isPlainObject(value) || schema.type !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const known = schema.properties?.[key];
    const sub = known ?? Object.values(schema.patternProperties ?? {})[0] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub === undefined) out[key] = raw; // an unknown key: the schema reports it
    else if ((raw === null || raw === '') && sub.default !== undefined) out[key] = fallbackOf(sub);
    else if (raw === null && known !== undefined) continue; // `key:` with nothing: left out
    else out[key] = prepareValue(sub, raw);
  }
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (!(key in out) && sub.default !== undefined) out[key] = fallbackOf(sub);
  }
  return out;
}
