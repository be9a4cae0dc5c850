// The one Ajv set-up for permgate's schemas, shared by the config validator and the admin API's route schemas:
// every error at once, with the failing value and schema (the messages need both), the custom formats, and the
// two message annotations (kinds.ts). No coercion, no defaults, nothing removed: prepare-value.ts does what YAML
// needs, and an admin body is checked exactly as sent.
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { FORMATS } from './formats.js';

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { optimize: false } });
  for (const [name, spec] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: spec.check });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'errorHint', schemaType: 'string' });
  return ajv;
}

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

/** A validator for `schema`, compiled once per schema object. */
export function compileSchema(schema: AnySchema): ValidateFunction {
  const key = schema as object;
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}
