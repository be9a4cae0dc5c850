// `npm run schema`: writes the files made from the config schema (src/config/schema/) after a build — the editor
// schema shipped with the package and the configuration reference. Tests fail while either is stale.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../dist/src/config/schema/config-reference.js';
import { editorSchema } from '../dist/src/config/schema/editor-schema.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('schema/gateway.config.schema.json', root), JSON.stringify(editorSchema(), null, 2) + '\n');
writeFileSync(new URL('docs/configuration.md', root), configurationReference());
console.log('wrote schema/gateway.config.schema.json and docs/configuration.md');
