// The canonical form: decoded once where that is safe, refused where servers disagree, stable under WHATWG URL.
import t from 'tap';
import { normalizeTarget, SEPARATOR_LOOKALIKES } from '../../src/routing/normalize-path.js';
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

const windows = (raw: string) => normalizeTarget(raw, { caseInsensitive: true, windows: true });

t.test('for Windows backends, the segment forms IIS and ASP.NET read as another path are refused', async (t) => {
  const forms: [string, RegExp][] = [
    ['/admin./x', /dot or a space/],
    ['/admin%2e/x', /dot or a space/],
    ['/admin%2E', /dot or a space/],
    ['/admin%20/x', /dot or a space/],
    ['/admin.%20/x', /dot or a space/],
    ['/(S(lit3py55t21z5v55vlm25s55))/admin/x', /cookieless/],
    ['/(A(x))/admin', /cookieless/],
    ['/(f(x))(s(y))/admin', /cookieless/],
    ['/%28S%28x%29%29/admin', /cookieless/],
    ['/admin::$DATA', /stream/],
    ['/admin%3A%3A%24DATA/x', /stream/],
    ['/admin%3a%3a%24data', /stream/],
    ['/admin:$i30:$INDEX_ALLOCATION/x', /stream/],
    ['/admin::$INDEX_ALLOCATION/x', /stream/],
    ['/ADMINI~1/x', /8\.3/],
    ['/x/admini%7E1.cfg', /8\.3/],
    ['/x/caf%C2%A5', /look-alike/],
  ];
  for (const [raw, reason] of forms) {
    t.throws(() => windows(raw), { code: 'PG_PATH_INVALID', detail: reason }, raw);
    t.doesNotThrow(() => norm(raw), `${raw} is an ordinary path for a backend that is not Windows`);
  }
  t.throws(() => normalizeTarget('/admin./x', { caseInsensitive: true }), { code: 'PG_PATH_INVALID' }, 'case-insensitive mode applies the Windows rules by default');
  t.doesNotThrow(() => normalizeTarget('/admin./x', { caseInsensitive: true, windows: false }), 'unless they are turned off');
  for (const raw of ['/api/v1.2/orders', '/files/report.final.pdf', '/a~b', '/~user/x', '/a:b', '/(x)/y', '/(ab(c))', '/a$b', '/caf%C3%A9', '/%E6%9D%8E%E9%9B%B7']) {
    t.doesNotThrow(() => windows(raw), `${raw} stays acceptable`);
  }
});

t.test('decoded look-alikes of ".", "/" and "\\" are refused in every mode', async (t) => {
  const lookalikes = [
    '%EF%BC%8E', // U+FF0E FULLWIDTH FULL STOP
    '%EF%BC%8F', // U+FF0F FULLWIDTH SOLIDUS
    '%EF%BC%BC', // U+FF3C FULLWIDTH REVERSE SOLIDUS
    '%E2%80%A4', // U+2024 ONE DOT LEADER
    '%E2%80%A5', // U+2025 TWO DOT LEADER (NFKC: "..")
    '%E2%88%95', // U+2215 DIVISION SLASH
    '%E2%81%84', // U+2044 FRACTION SLASH
    '%EF%B9%92', // U+FE52 SMALL FULL STOP
    '%EF%B9%A8', // U+FE68 SMALL REVERSE SOLIDUS
    '%E2%92%88', // U+2488 DIGIT ONE FULL STOP (NFKC: "1.")
    '%F0%9F%84%80', // U+1F100 DIGIT ZERO FULL STOP, outside the BMP
  ];
  for (const encoded of lookalikes) {
    for (const raw of [`/admin${encoded}/x`, `/public/${encoded}${encoded}/admin`, `/x${encoded.toLowerCase()}`]) {
      t.throws(() => norm(raw), { code: 'PG_PATH_INVALID', detail: /look-alike/ }, raw);
      t.throws(() => windows(raw), { code: 'PG_PATH_INVALID' }, `${raw} (windows)`);
    }
  }
  t.doesNotThrow(() => norm('/x/caf%C2%A5'), 'the yen sign is refused for Windows backends only (cp932 maps it to \\)');
});

t.test('the look-alike set is every code point whose NFKC form holds ".", "/" or "\\", over all of Unicode', async (t) => {
  const all = new Set<number>([0x2044, 0x2215, 0x2216, 0x29f8, 0x29f9]);
  for (let cp = 0x80; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (/[./\\]/.test(String.fromCodePoint(cp).normalize('NFKC'))) all.add(cp);
  }
  t.same([...SEPARATOR_LOOKALIKES].sort((a, b) => a - b), [...all].sort((a, b) => a - b), 'the module-load scan of planes 0–2 misses nothing');
  for (const cp of [0xff0e, 0xff0f, 0xff3c, 0x2024, 0x2215, 0x2044, 0xfe52]) t.ok(SEPARATOR_LOOKALIKES.has(cp), `U+${cp.toString(16).toUpperCase()}`);
});
