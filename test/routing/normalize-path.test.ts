// The canonical form: decoded once where that is safe, refused where servers disagree, stable under WHATWG URL.
import t from 'tap';
import { normalizeTarget } from '../../src/routing/normalize-path.js';
import { GatewayError } from '../../src/errors.js';

const norm = (raw: string, caseInsensitive = false) => normalizeTarget(raw, { caseInsensitive });

t.test('canonical forms', async (t) => {
  const cases: [string, string, string?][] = [
    ['/', '/'],
    ['//', '/'],
    ['/%61dmin', '/admin'],
    ['/%7euser/%2Dx', '/~user/-x'],
    ['/a%3Ab%40c%21', '/a:b@c!'],
    ['/a%20b%3f%23', '/a%20b%3F%23'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a//b///c/', '/a/b/c/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a?b=%2F..&c', '/a', '?b=%2F..&c'],
    ['/a%25b', '/a%25b'],
  ];
  for (const [raw, path, query = ''] of cases) {
    const target = norm(raw);
    t.equal(target.path, path, raw);
    t.equal(target.query, query, `${raw} query`);
  }
  t.same(norm('/a/b/').segments, ['a', 'b']);
  t.equal(norm('/a/b/').trailingSlash, true);
  t.equal(norm('/AbC/%41', true).path, '/abc/a', 'case folding lowers letters');
  t.equal(norm('/x%3f', true).path, '/x%3F', 'but keeps hex digits upper-case');
});

t.test('ambiguous or malformed paths are refused', async (t) => {
  const refused = [
    '/.', '/..', '/a/./b', '/a/../b', '/%2e', '/%2E%2e/x', '/a..', '/..a', '/a/%2fb', '/a%2F', '/a%5c', '/a\\b', '/a;b',
    '/a%3bb', '/a%00', '/a%0A', '/a%7F', '/a%252e', '/a%', '/a%4', '/a%zz', '/a%u002e', '/a%c0%ae', '/a%80', '/a%e2%82',
    '/a%ed%a0%80', '/a%f5%80%80%80', '/caf\u00e9', '/a"b', '/a<b', '/a|b', '/a{b', '/a^b', '/a`b', '/a#b', '/a?b#c', '/a b',
  ];
  for (const raw of refused) {
    t.throws(() => norm(raw), { code: 'PG_PATH_INVALID' }, JSON.stringify(raw));
  }
  for (const raw of ['*', 'http://evil/admin', 'example.com:443', '']) {
    t.throws(() => norm(raw), { code: 'PG_TARGET_NOT_ORIGIN_FORM' }, JSON.stringify(raw));
  }
  t.ok(new GatewayError('PG_PATH_INVALID').status === 400);
});

t.test('WHATWG URL (what undici uses) leaves every canonical path unchanged', async (t) => {
  const alphabet = ['a', 'Z', '0', '-', '.', '_', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', '=', ':', '@', '%20', '%3F', '%23', '%25', '%C3%A9', '%22', '%7B', '/'];
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let checked = 0;
  for (let i = 0; i < 500; i++) {
    let raw = '/';
    for (let n = 1 + Math.floor(random() * 12); n > 0; n--) raw += alphabet[Math.floor(random() * alphabet.length)];
    let path: string;
    try {
      path = norm(raw).path;
    } catch {
      continue; // refused forms are never forwarded
    }
    checked++;
    t.equal(new URL(path, 'http://upstream.test').pathname, path, `${raw} → ${path}`);
  }
  t.ok(checked > 300, `${checked} random canonical paths checked`);
});
