// Wildcards never reach the admin namespace unless it is named: a data-plane `*` is not a grant of the admin API.
// The compiled trie and the obvious rule agree, and on the wire a holder of `*` is refused by the admin API while a
// holder of `permgate:*` is let in.
import t from 'tap';
import { parsePermissionPattern, patternCovers } from '../../src/rbac/permission-pattern.js';
import { PermissionTrie } from '../../src/rbac/permission-trie.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const trieCovers = (patterns: readonly string[], code: string): boolean => {
  const trie = new PermissionTrie();
  for (const p of patterns) trie.add(p);
  return trie.covers(code);
};

t.test('a pattern covers a permgate:admin code only if its first part names permgate', async (t) => {
  const cases: [string, string, boolean][] = [
    ['*', 'permgate:admin:rbac:write', false],
    ['*:admin:*', 'permgate:admin:rbac:write', false],
    ['*:*:*:*', 'permgate:admin:rbac:write', false],
    ['*:*:*', 'permgate:admin:rbac', false],
    ['*', 'permgate:admin', false],
    ['permgate:*', 'permgate:admin:rbac:write', true],
    ['permgate:admin:*', 'permgate:admin:rbac:write', true],
    ['permgate:admin:rbac:write', 'permgate:admin:rbac:write', true],
    ['permgate:admin:*:read', 'permgate:admin:rbac:read', true],
    ['permgate:admin:*:read', 'permgate:admin:rbac:write', false],
    ['order,permgate:*', 'permgate:admin:config:write', true],
    ['permgate:*:rbac:write', 'permgate:admin:rbac:write', true],
    // Outside the admin namespace the ordinary rules hold, `permgate` codes included.
    ['*', 'permgate:metrics:read', true],
    ['*', 'permgate:adminx:y', true],
    ['*', 'order:read', true],
    ['*:admin:*', 'shop:admin:users', true],
    ['*:*', 'admin:access', true],
  ];
  for (const [pattern, code, expected] of cases) {
    t.equal(trieCovers([pattern], code), expected, `${pattern} ${expected ? 'covers' : 'does not cover'} ${code}`);
    t.equal(patternCovers(parsePermissionPattern(pattern), code), expected, `(obvious rule) ${pattern} / ${code}`);
  }
  t.notOk(trieCovers(['*', '*:admin:*', '*:*:*:*', 'order:*'], 'permgate:admin:rbac:write'), 'no mix of unnamed wildcards reaches it');
  t.ok(trieCovers(['*', 'permgate:admin:rbac:*'], 'permgate:admin:rbac:write'), 'a named one beside them does');
});

t.test('the trie agrees with the obvious rule on random patterns and codes around the admin namespace', async (t) => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const words = ['permgate', 'admin', 'rbac', 'write', 'x'];
  const part = (): string => (random(3) === 0 ? '*' : random(6) === 0 ? `${words[random(5)]},${words[random(5)]}` : words[random(5)]!);
  let disagreements = 0;
  for (let i = 0; i < 5000; i++) {
    const patterns = Array.from({ length: 1 + random(3) }, () => Array.from({ length: 1 + random(4) }, part).join(':'));
    const code = Array.from({ length: 1 + random(4) }, () => words[random(5)]!).join(':');
    const expected = patterns.some((p) => patternCovers(parsePermissionPattern(p), code));
    if (trieCovers(patterns, code) !== expected) disagreements++;
  }
  t.equal(disagreements, 0);
});

t.test('on the wire: a data-plane superuser (grant *) is no admin; a grant naming permgate is', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, jwt: true }
${hsAuth()}
rbac:
  roles:
    superuser: { grants: ["*"] }
    sneaky: { grants: ["*:admin:*", "*:*:*:*"] }
    operator: { grants: ["permgate:*"] }
  subjects:
    sue: { roles: [superuser] }
    sid: { roles: [sneaky] }
    otto: { roles: [operator] }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`);
  const call = async (sub: string) => {
    const res = await fetch(`${gw.adminUrl}/admin/rbac/roles`, { headers: { authorization: `Bearer ${await token({ sub, scope: undefined })}` } });
    return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
  };
  t.equal((await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${await token({ sub: 'sue', scope: undefined })}` } })).status, 200, '* still covers every data-plane code');
  t.same(await call('sue'), { status: 403, code: 'PG_ADMIN_FORBIDDEN' });
  t.same(await call('sid'), { status: 403, code: 'PG_ADMIN_FORBIDDEN' });
  t.same(await call('otto'), { status: 200, code: undefined });
  const explained = await fetch(`${gw.adminUrl}/admin/decision?sub=sue&method=GET&path=/api/x`, { headers: { authorization: `Bearer ${await token({ sub: 'otto', scope: undefined })}` } });
  t.match(await explained.json(), { decision: 'allow', codes: [{ code: 'order:read', grantedBy: [{ pattern: '*' }] }] }, 'explanations use the same rule');
});
