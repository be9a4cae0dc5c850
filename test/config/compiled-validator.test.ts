// The config schema is compiled by Ajv ahead of time (src/config/schema/config-document-validator.ts, written by
// `npm run schema`), so no start pays for compiling it; this keeps that code the schema's.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { configValidatorSource } from '../../src/config/schema/config-validator-source.js';

t.test('the compiled config validator is the one `npm run schema` writes from the schema', async (t) => {
  const committed = readFileSync(new URL('../../src/config/schema/config-document-validator.ts', import.meta.url), 'utf8');
  t.ok(committed === configValidatorSource(), 'stale: run npm run schema');
});
