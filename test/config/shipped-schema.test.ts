// The schema shipped for editors (schema/gateway.config.schema.json) is the one the validator uses, kept current by
// `npm run schema`; the shipped gateway.config.yaml, placeholders and all, validates against it, and a typo does not.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Ajv } from 'ajv';
import { parseDocument } from 'yaml';
import { fillPlaceholders, maskPlaceholders } from '../../src/config/interpolate-env.js';
import { editorSchema } from '../../src/config/schema/editor-schema.js';

const root = new URL('../../', import.meta.url);
const shippedSchema = JSON.parse(readFileSync(new URL('schema/gateway.config.schema.json', root), 'utf8')) as Record<string, unknown>;
const shippedConfig = readFileSync(new URL('gateway.config.yaml', root), 'utf8');

/** The document as an editor sees it: `${VAR:-default}` left as written. */
function asEditorSeesIt(text: string): unknown {
  const { masked, placeholders } = maskPlaceholders(text);
  const doc = parseDocument(masked);
  const env = new Proxy({}, { get: (_target, name) => `\${${String(name)}}` }) as NodeJS.ProcessEnv;
  fillPlaceholders(doc, placeholders, env);
  return doc.toJS();
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(shippedSchema);

t.test('the committed editor schema is the one `npm run schema` writes from src/config/schema/', async (t) => {
  t.same(shippedSchema, editorSchema(), 'stale: run npm run schema');
});

t.test('the shipped config names the schema on its first line, for yaml-language-server', async (t) => {
  t.equal(shippedConfig.split('\n')[0], '# yaml-language-server: $schema=./schema/gateway.config.schema.json');
});

t.test('the shipped config validates against the editor schema, ${VAR:-default} placeholders included', async (t) => {
  t.ok(validate(asEditorSeesIt(shippedConfig)), JSON.stringify(validate.errors));
});

t.test('a typo in a key fails the editor schema, where the editor shows it', async (t) => {
  const typo = shippedConfig.replace('    upstream: orders\n', '    upstram: orders\n');
  t.not(typo, shippedConfig);
  t.notOk(validate(asEditorSeesIt(typo)));
  t.ok(validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'upstram'), 'the unknown key is named');
  t.notOk(validate(asEditorSeesIt(shippedConfig.replace('  ip: 100/s', '  ip: lots'))), 'a rate that is no rate');
});
