// docs/errors.md and src/errors.ts list the same codes with the same statuses.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ERRORS, errorBody, GatewayError } from '../src/errors.js';

t.test('docs/errors.md lists every error code with its status, and no other', async (t) => {
  const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `(PG_[A-Z_]+)` \| (\d{3}) \|/gm)) documented.set(match[1]!, Number(match[2]));
  const defined = new Map(Object.entries(ERRORS).map(([code, { status }]) => [code, status]));
  t.same([...documented.keys()].sort(), [...defined.keys()].sort(), 'same codes');
  for (const [code, status] of defined) t.equal(documented.get(code), status, `${code} has status ${status}`);
});

t.test('an error body carries the code, the fixed message and the request id, and nothing else', async (t) => {
  const err = new GatewayError('PG_FORBIDDEN', { cause: new Error('secret internals') });
  t.same(errorBody(err, 'req-1'), { error: { code: 'PG_FORBIDDEN', message: ERRORS.PG_FORBIDDEN.message, requestId: 'req-1' } });
  t.equal(err.status, 403);
  t.notMatch(JSON.stringify(errorBody(err)), /secret|stack/);
});
