// The part of JSON Schema permgate's schemas use, as a type to walk them by (prepare-value.ts, schema-issues.ts,
// editor-schema.ts, config-reference.ts), and which branch of an `anyOf` a value is meant for.
import type { Annotations } from './kinds.js';

export interface SchemaNode extends Annotations {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly title?: string;
  readonly default?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The JSON type of a value, as JSON Schema names them (`integer` for whole numbers). */
export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether a value has the JSON type a schema node wants (whatever else the node then says of it). */
export function typeMatches(schema: SchemaNode, value: unknown): boolean {
  if (schema.anyOf !== undefined) return schema.anyOf.some((branch) => typeMatches(branch, value));
  const types = schema.type === undefined ? undefined : typeof schema.type === 'string' ? [schema.type] : schema.type;
  if (types === undefined) {
    const listed = schema.enum ?? (schema.const === undefined ? undefined : [schema.const]);
    return listed === undefined || listed.some((choice) => jsonType(choice) === jsonType(value) || typeof choice === typeof value);
  }
  const actual = jsonType(value);
  return types.some((type) => type === actual || (type === 'number' && actual === 'integer'));
}
