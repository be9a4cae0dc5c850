// The schema builders the config's shapes are written with: TypeBox's API and static types (`Static<typeof X>`
// gives each section's checked shape), building plain JSON Schema objects. Only TypeBox's types are used: its
// runtime costs half a second at every start (measured: 460 ms to import), which a CLI and a reload should not pay.
import type { Static, TArray, TBoolean, TEnum, TInteger, TLiteral, TNumber, TObject, TOptional, TProperties, TRecord, TSchema, TString, TUnion, TUnknown } from 'typebox';

export type { Static, TSchema, TString };

type Options = Readonly<Record<string, unknown>>;

/** Property schemas made optional by `Type.Optional` (copies, so one schema may be required in one place only). */
const optionals = new WeakSet<object>();

export const Type = {
  String: (options: Options = {}) => ({ type: 'string', ...options }) as unknown as TString,
  Integer: (options: Options = {}) => ({ type: 'integer', ...options }) as unknown as TInteger,
  Number: (options: Options = {}) => ({ type: 'number', ...options }) as unknown as TNumber,
  Boolean: (options: Options = {}) => ({ type: 'boolean', ...options }) as unknown as TBoolean,
  Unknown: (options: Options = {}) => ({ ...options }) as unknown as TUnknown,
  Literal: <const V extends string | boolean>(value: V, options: Options = {}) => ({ type: typeof value, const: value, ...options }) as unknown as TLiteral<V>,
  Enum: <const V extends string[]>(values: readonly [...V], options: Options = {}) => ({ enum: [...values], ...options }) as unknown as TEnum<V>,
  Union: <S extends TSchema[]>(anyOf: [...S], options: Options = {}) => ({ anyOf, ...options }) as unknown as TUnion<S>,
  Array: <S extends TSchema>(items: S, options: Options = {}) => ({ type: 'array', items, ...options }) as unknown as TArray<S>,
  Object: <P extends TProperties>(properties: P, options: Options = {}) => {
    const required = Object.keys(properties).filter((key) => !optionals.has(properties[key] as object));
    return { type: 'object', ...(required.length > 0 ? { required } : {}), properties, ...options } as unknown as TObject<P>;
  },
  /** A mapping from any key to values of one schema. */
  Record: <S extends TSchema>(value: S, options: Options = {}) => ({ type: 'object', patternProperties: { '^.*$': value }, ...options }) as unknown as TRecord<'^.*$', S>,
  Optional: <S extends TSchema>(schema: S) => {
    const copy = { ...schema };
    optionals.add(copy);
    return copy as unknown as TOptional<S>;
  },
};
