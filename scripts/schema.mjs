// `npm run schema`: writes the files made from the config schema (src/config/schema/) after a build — the editor
// schema shipped with the package, the configuration reference, and the config validator compiled ahead of time.
// Tests fail while any of them is stale.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../dist/src/config/schema/config-reference.js';
import { configValidatorSource } from '../dist/src/config/schema/config-validator-source.js';
import { editorSchema } from '../dist/src/config/schema/editor-schema.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('schema/gateway.config.schema.json', root), JSON.stringify(editorSchema(), null, 2) + '\n');
writeFileSync(new URL('docs/configuration.md', root), configurationReference());
writeFileSync(new URL('src/config/schema/config-document-validator.ts', root), configValidatorSource());
console.log('wrote schema/gateway.config.schema.json, docs/configuration.md and src/config/schema/config-document-validator.ts');
