// The one Ajv set-up for permgate's schemas, shared by the config validator and the admin API's route schemas:
// every error at once, with the failing value and schema (the messages need both), the custom formats, and the
// two message annotations (kinds.ts). No coercion, no defaults, nothing removed: prepare-value.ts does what YAML
// needs, and an admin body is checked exactly as sent.
import { Ajv, type AnySchema, type Options, type ValidateFunction } from 'ajv';
import { AJV_FORMATS } from './formats.js';

export function createAjv(extra: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, ...extra });
  for (const [name, format] of Object.entries(AJV_FORMATS)) ajv.addFormat(name, format);
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'errorHint', schemaType: 'string' });
  return ajv;
}

let ajv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** A validator for `schema`, compiled once per schema object (the admin API's bodies). */
export function compileSchema(schema: AnySchema): ValidateFunction {
  ajv ??= createAjv({ code: { optimize: false } });
  const key = schema as object;
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}
