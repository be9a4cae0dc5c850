// docs/configuration.md is written from the schema by `npm run schema` and lists every key with its default, so
// the reference cannot drift from what the validator accepts.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { configurationReference } from '../../src/config/schema/config-reference.js';

const page = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

t.test('docs/configuration.md is the page `npm run schema` writes from the schema', async (t) => {
  t.equal(page, configurationReference(), 'stale: run npm run schema');
});

t.test('the reference gives each key its default, as the validator fills it in', async (t) => {
  t.match(page, /\| `server\.listen\.port` \| integer 0–65535 \| `8080` \|/);
  t.match(page, /\| `upstreams\.<name>\.timeout` \| duration \| `30s` \|/);
  t.match(page, /\| `rbac\.subjects\.<name>\.grants\[\]\.expires` \| date-time \|/);
});
