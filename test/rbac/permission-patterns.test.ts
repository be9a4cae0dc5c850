// Wildcard permissions: the documented semantics, the compiled trie agreeing with the obvious rule on thousands of
// random cases, and malformed patterns refused.
import t from 'tap';
import { parsePermissionPattern, patternCovers } from '../../src/rbac/permission-pattern.js';
import { PermissionTrie } from '../../src/rbac/permission-trie.js';

const covers = (pattern: string, code: string): boolean => {
  const trie = new PermissionTrie();
  trie.add(pattern);
  return trie.covers(code);
};

t.test('the documented examples', async (t) => {
  const cases: [string, string, boolean][] = [
    ['order:read', 'order:read', true],
    ['order:read', 'order:write', false],
    ['order:read', 'order:read:42', false], // unlike Shiro: no implied trailing wildcard
    ['order:read', 'order', false],
    ['order:read,write', 'order:write', true],
    ['order:read,write', 'order:delete', false],
    ['channel:*:42', 'channel:delete:42', true],
    ['channel:*:42', 'channel:delete:43', false],
    ['channel:*:42', 'channel:delete', false],
    ['channel:*', 'channel:delete:42', true],
    ['channel:*', 'channel', true],
    ['channel:*', 'channels:read', false],
    ['channel:delete:*', 'channel:delete:42', true],
    ['channel:delete:*', 'channel:read:42', false],
    ['*', 'anything:at:all', true],
    ['*:read', 'order:read', true],
    ['*:read', 'order:read:1', false],
    ['constructor', 'constructor', true],
    ['__proto__:*', '__proto__:x', true],
  ];
  for (const [pattern, code, expected] of cases) {
    t.equal(covers(pattern, code), expected, `${pattern} ${expected ? 'covers' : 'does not cover'} ${code}`);
    t.equal(patternCovers(parsePermissionPattern(pattern), code), expected, `(obvious rule) ${pattern} / ${code}`);
  }
});

t.test('the trie agrees with the obvious rule on random patterns and codes', async (t) => {
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const words = ['a', 'b', 'c', 'read', 'write'];
  const part = (): string => (random(4) === 0 ? '*' : random(5) === 0 ? `${words[random(5)]},${words[random(5)]}` : words[random(5)]!);
  let disagreements = 0;
  for (let i = 0; i < 3000; i++) {
    const patterns = Array.from({ length: 1 + random(4) }, () => Array.from({ length: 1 + random(4) }, part).join(':'));
    const trie = new PermissionTrie();
    for (const p of patterns) trie.add(p);
    const code = Array.from({ length: 1 + random(4) }, () => words[random(5)]!).join(':');
    const expected = patterns.some((p) => patternCovers(parsePermissionPattern(p), code));
    if (trie.covers(code) !== expected) disagreements++;
  }
  t.equal(disagreements, 0);
});

t.test('malformed patterns are refused with a reason', async (t) => {
  for (const bad of ['', 'order::read', ':read', 'order:', 'order:re ad', 'order:*x', 'a,:b', 'ö:read', 'a'.repeat(300), Array(20).fill('a').join(':')]) {
    t.throws(() => parsePermissionPattern(bad), { name: 'PatternError' }, JSON.stringify(bad.slice(0, 30)));
  }
  t.same(parsePermissionPattern('channel:read,write:*'), [['channel'], ['read', 'write'], '*']);
});

t.test('an empty set covers nothing', async (t) => {
  t.equal(new PermissionTrie().covers('a'), false);
});
