// permgate diff's policy half: roles and config subjects changed, and who gains or loses which code, decided by the
// gateway's own RBAC compiler on each side (inheritance, denies over grants, tenants, expiry, token roles, scoped codes).
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { diffConfigs } from '../../src/diff/config-diff.js';
import { diffText } from '../../src/diff/diff-text.js';
import { sideOfConfig, type StoredPart } from '../../src/diff/policy-side.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function loadYaml(body: string) {
  return parseConfig(`store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n${body}`, 'diff.yaml', {});
}

function diffOf(before: string, after: string, stored?: StoredPart) {
  const a = loadYaml(before);
  const b = loadYaml(after);
  return diffConfigs({ label: 'old.yaml', loaded: a, policy: sideOfConfig(a, stored) }, { label: 'new.yaml', loaded: b, policy: sideOfConfig(b, stored) }, NOW);
}

const routes = `routes:
  - { path: /orders/**, upstream: svc, permission: { GET: order:read, POST: order:write, DELETE: order:delete } }
  - { path: "/channels/:channelId/delete", upstream: svc, methods: [POST], permission: "channel:delete:{channelId}" }
`;

const policy = `rbac:
  roles:
    viewer: { grants: [order:read] }
    editor: { inherits: [viewer], grants: [order:write] }
    admin:  { grants: ["*"], denies: [order:delete] }
  subjects:
    alice: { roles: [editor] }
    bob:   { roles: [viewer], grants: ["channel:delete:42"] }
    root:  { roles: [admin] }
`;

t.test('a grant added to an inherited role: every holder gains, through inheritance too; the role change is listed', async (t) => {
  const diff = diffOf(routes + policy, routes + policy.replace('viewer: { grants: [order:read] }', 'viewer: { grants: [order:read, order:delete] }'));
  t.same(diff.rbac.roles.changed, [{ name: 'viewer', source: 'config', entries: [{ change: '+', entry: 'grant order:delete' }] }]);
  t.same(
    diff.access.map((a) => `${a.holder} ${a.change} ${a.on}`),
    ['alice gains order:delete', 'bob gains order:delete'],
    'root holds * but its deny of order:delete still wins',
  );
});

t.test('a deny added takes the code away even from a wildcard holder; a subject re-bound loses and gains', async (t) => {
  const after = (routes + policy)
    .replace('admin:  { grants: ["*"], denies: [order:delete] }', 'admin:  { grants: ["*"], denies: [order:delete, "order:write"] }')
    .replace('alice: { roles: [editor] }', 'alice: { roles: [viewer] }');
  const diff = diffOf(routes + policy, after);
  t.same(diff.rbac.subjects.changed, [{ name: 'alice', source: 'config', entries: [{ change: '-', entry: 'role editor' }, { change: '+', entry: 'role viewer' }] }]);
  t.same(diff.access.map((a) => `${a.holder} ${a.change} ${a.on}`), ['alice loses order:write', 'root loses order:write']);
});

t.test('scoped codes: the object a grant names is decided on its own, and {param} stands for every other object', async (t) => {
  const after = (routes + policy).replace('grants: ["channel:delete:42"]', 'grants: ["channel:delete:43"]').replace('viewer: { grants: [order:read] }', 'viewer: { grants: [order:read, "channel:*:7"] }');
  const diff = diffOf(routes + policy, after);
  t.same(
    diff.access.map((a) => `${a.holder} ${a.change} ${a.on}`),
    ['alice gains channel:delete:7', 'bob loses channel:delete:42', 'bob gains channel:delete:43', 'bob gains channel:delete:7'],
  );
  const wide = diffOf(routes + policy, (routes + policy).replace('grants: ["channel:delete:42"]', 'grants: ["channel:delete:*"]'));
  t.same(
    wide.access.map((a) => `${a.holder} ${a.change} ${a.on}`),
    ['bob gains channel:delete:{channelId}'],
    'a grant of every channel shows as the template: 42 was held before and still is',
  );
  t.match(diffText(wide), /\{param\} in a code: any value no grant or deny names/);
});

t.test('a route re-coded with the policy unchanged: callers of the route gain or lose it, by route', async (t) => {
  const after = (routes + policy).replace('DELETE: order:delete', 'DELETE: order:write');
  const diff = diffOf(routes + policy, after);
  t.same(diff.access.map((a) => `${a.holder} ${a.change} ${a.on}`), ['alice gains DELETE /orders/**', 'root gains DELETE /orders/**']);
});

t.test('tenant bindings are decided in their tenant; expired bindings count for nothing on either side', async (t) => {
  const before = `${routes}rbac:
  roles:
    clerk: { grants: [order:write] }
  subjects:
    carol: { roles: [{ role: clerk, tenant: t1 }, { role: clerk, expires: "2026-01-01T00:00:00Z" }] }
`;
  const after = before.replace('tenant: t1 }', 'tenant: t2 }').replace('expires: "2026-01-01T00:00:00Z"', 'expires: "2026-02-01T00:00:00Z"');
  const diff = diffOf(before, after);
  t.same(diff.access.map((a) => `${a.holder}@${a.tenant ?? '-'} ${a.change} ${a.on}`), ['carol@t1 loses order:write', 'carol@t2 gains order:write']);
  t.same(diff.rbac.subjects.changed[0]!.entries, [{ change: '-', entry: 'role clerk in tenant t1' }, { change: '+', entry: 'role clerk in tenant t2' }], 'the expired bindings are not listed');
});

t.test('where tokens carry roles, a role changed is a change for every token that names it', async (t) => {
  const claims = `auth:\n  jwt: { algorithms: [HS256], issuer: me, audience: gw, secret: "${'s'.repeat(32)}", claims: { roles: roles } }\n`;
  const diff = diffOf(claims + routes + policy, claims + routes + policy.replace('viewer: { grants: [order:read] }', 'viewer: { grants: [] }'));
  t.same(
    diff.access.map((a) => `${a.kind} ${a.holder} ${a.change} ${a.on}`),
    ['subject alice loses order:read', 'subject bob loses order:read', 'token-role editor loses order:read', 'token-role viewer loses order:read'],
    'the config subjects, and a token naming editor (which inherits viewer) or viewer; admin keeps its *',
  );
});

t.test('store subjects and roles count on both sides: a config role a stored subject holds changes its access', async (t) => {
  const stored: StoredPart = {
    roles: new Map([['support', { name: 'support', grants: ['order:read'], denies: [], inherits: [] }]]),
    subjects: new Map([['dave', { roles: [{ role: 'editor' }], grants: [], denies: [] }], ['erin', { roles: [{ role: 'support' }], grants: [], denies: [] }]]),
  };
  const after = (routes + policy).replace('editor: { inherits: [viewer], grants: [order:write] }', 'editor: { inherits: [viewer] }');
  const diff = diffOf(routes + policy, after, stored);
  t.same(diff.access.map((a) => `${a.holder} ${a.change} ${a.on}`), ['alice loses order:write', 'dave loses order:write']);
  t.same(diff.rbac.subjects, { added: [], removed: [], changed: [] }, 'store subjects are not config changes');
});

t.test('mapping a roles claim is listed as a change of trust, and every token naming a role gains what the role holds', async (t) => {
  const jwt = (claims: string) => `auth:\n  jwt: { algorithms: [HS256], issuer: me, audience: gw, secret: "${'s'.repeat(32)}"${claims} }\n`;
  const diff = diffOf(jwt('') + routes + policy, jwt(', claims: { roles: realm_access.roles }') + routes + policy);
  t.same(diff.tokenTrust, [{ key: 'auth.jwt.claims.roles', before: '(unset: token roles count for nothing)', after: 'realm_access.roles' }]);
  t.same(
    diff.access.filter((a) => a.holder === 'viewer').map((a) => `${a.kind} ${a.holder} ${a.change} ${a.on}`),
    ['token-role viewer gains order:read'],
  );
  t.ok(diff.access.every((a) => a.kind === 'token-role' && a.change === 'gains'), 'config subjects are not affected');
  t.match(diffText(diff), /what tokens hold by themselves\n {2}~ auth\.jwt\.claims\.roles \(unset: token roles count for nothing\) → realm_access\.roles/);
});
