// Conditions on grants and `{subject}` grants through a real gateway: the `rbac` section and the admin API spell
// them alike; the data plane applies them with the resolved client address, the token's claims and the route's path
// parameters; `/admin/decision` names each condition and whether it held; a `when` that cannot mean anything is a
// config error naming file, line and key, and a 400 from the admin API.
import t from 'tap';
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'conditions-admin-token-0123456789abcdef';

function yaml(upstream: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
  trustProxy: [127.0.0.1]
${hsAuth()}
rbac:
  roles:
    self-service:
      grants: ["profile:read:*", "profile:edit:{subject}"]
    finance:
      grants:
        - code: invoice:approve
          when:
            claim: { amr: { contains: mfa } }
            ip: [10.0.0.0/8]

    member: { grants: [org:read] }
  subjects:
    alice:
      roles:
        - self-service
        - finance
        - { role: member, when: { param: { orgId: "claim:org" } } }
    bob: { roles: [self-service] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: "/profiles/:userId", upstream: svc, permission: { GET: "profile:read:{userId}", PUT: "profile:edit:{userId}" } }
  - { path: "/invoices/:id/approve", upstream: svc, methods: [POST], permission: invoice:approve }
  - { path: "/orgs/:orgId", upstream: svc, methods: [GET], permission: org:read }
  - { path: "/reports", upstream: svc, methods: [GET], permission: report:read }
`;
}

async function status(gw: GatewayUnderTest, method: string, path: string, claims: Record<string, unknown>, from?: string): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token({ scope: undefined, ...claims })}` };
  if (from !== undefined) headers['x-forwarded-for'] = from;
  const res = await fetch(`${gw.url}${path}`, { method, headers });
  await res.arrayBuffer();
  return res.status;
}

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

t.test('"users may edit their own profile": a {subject} grant from a shared role', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, yaml);
  t.equal(await status(gw, 'PUT', '/profiles/alice', { sub: 'alice' }), 200);
  t.equal(await status(gw, 'PUT', '/profiles/bob', { sub: 'alice' }), 403, 'not someone else’s');
  t.equal(await status(gw, 'PUT', '/profiles/bob', { sub: 'bob' }), 200);
  t.equal(await status(gw, 'GET', '/profiles/bob', { sub: 'alice' }), 200, 'reading any profile is a plain grant');
  t.same(upstream.requests.map((r) => `${r.method} ${r.target}`), ['PUT /profiles/alice', 'PUT /profiles/bob', 'GET /profiles/bob']);
});

t.test('claim and network conditions read the token and the resolved client address', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal(await status(gw, 'POST', '/invoices/7/approve', { sub: 'alice', amr: ['pwd', 'mfa'] }, '10.1.2.3'), 200);
  t.equal(await status(gw, 'POST', '/invoices/7/approve', { sub: 'alice', amr: ['pwd'] }, '10.1.2.3'), 403, 'no MFA');
  t.equal(await status(gw, 'POST', '/invoices/7/approve', { sub: 'alice', amr: ['mfa'] }, '203.0.113.5'), 403, 'from outside the network');
  t.equal(await status(gw, 'POST', '/invoices/7/approve', { sub: 'alice', amr: ['mfa'] }), 403, 'from 127.0.0.1 itself');
});

t.test('a binding under a path-parameter condition: alice is a member of her own org only', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal(await status(gw, 'GET', '/orgs/o-1', { sub: 'alice', org: 'o-1' }), 200);
  t.equal(await status(gw, 'GET', '/orgs/o-2', { sub: 'alice', org: 'o-1' }), 403);
  t.equal(await status(gw, 'GET', '/orgs/o-1', { sub: 'alice' }), 403, 'no org claim: the condition is false');
});

t.test('/admin/decision names each condition and whether it held', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const failed = await admin(gw, 'GET', `/admin/decision?sub=alice&method=POST&path=/invoices/7/approve&ip=198.51.100.4&claims=${encodeURIComponent('{"amr":["mfa"]}')}`);
  t.equal(failed.status, 200);
  t.equal(failed.json.decision, 'deny');
  const code = failed.json.codes[0];
  t.same(code.grantedBy, []);
  t.match(code.conditionFailed, [{ pattern: 'invoice:approve', conditions: [{ key: 'claim.amr', held: true }, { key: 'ip', held: false, wants: '10.0.0.0/8' }] }]);
  const held = await admin(gw, 'GET', `/admin/decision?sub=alice&method=POST&path=/invoices/7/approve&ip=10.9.9.9&claims=${encodeURIComponent('{"amr":["mfa"]}')}`);
  t.equal(held.json.decision, 'allow');
  t.match(held.json.codes[0].grantedBy, [{ pattern: 'invoice:approve', conditions: [{ key: 'claim.amr', held: true }, { key: 'ip', held: true }] }]);
  const own = await admin(gw, 'GET', '/admin/decision?sub=bob&method=PUT&path=/profiles/bob');
  t.match(own.json.codes[0].grantedBy, [{ pattern: 'profile:edit:{subject}' }], 'a {subject} grant is shown as written');
  t.equal((await admin(gw, 'GET', '/admin/decision?sub=bob&method=PUT&path=/profiles/alice')).json.decision, 'deny');
  t.equal((await admin(gw, 'GET', '/admin/decision?sub=bob&path=/reports&ip=not-an-ip')).status, 400);
});

t.test('the admin API spells conditions as the config does, and refuses one that cannot mean anything', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const put = await admin(gw, 'PUT', '/admin/rbac/roles/reporter', { grants: ['report:list', { code: 'report:read', when: { ip: ['10.0.0.0/8'] } }] });
  t.equal(put.status, 200, JSON.stringify(put.json));
  const read = await admin(gw, 'GET', '/admin/rbac/roles/reporter');
  t.same(read.json.role.grants, ['report:list', { code: 'report:read', when: { ip: ['10.0.0.0/8'] } }], 'read back as written');
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/carol/roles', { role: 'reporter' })).status, 201);
  t.equal(await status(gw, 'GET', '/reports', { sub: 'carol' }, '10.0.0.1'), 200);
  t.equal(await status(gw, 'GET', '/reports', { sub: 'carol' }, '192.0.2.1'), 403);
  const bad = await admin(gw, 'PUT', '/admin/rbac/roles/broken', { grants: [{ code: 'x:y', when: { time: '25:00-26:00' } }] });
  t.equal(bad.status, 400);
  t.match(bad.json.error.detail, /grants\[0\]\.when\.time/);
  const badBinding = await admin(gw, 'POST', '/admin/rbac/subjects/dave/roles', { role: 'member', when: { days: ['someday'] } });
  t.equal(badBinding.status, 400);
  t.match(badBinding.json.error.detail, /days/);
  const conditionalDeny = await admin(gw, 'POST', '/admin/rbac/subjects/dave/denies', { code: 'report:read', when: { ip: ['10.0.0.0/8'] } });
  t.equal(conditionalDeny.status, 400, 'a deny holds always');
  const directConditional = await admin(gw, 'POST', '/admin/rbac/subjects/dave/grants', { code: 'report:read', when: { claim: { tid: 'acme' } } });
  t.equal(directConditional.status, 201);
  t.equal(await status(gw, 'GET', '/reports', { sub: 'dave', tid: 'acme' }), 200);
  t.equal(await status(gw, 'GET', '/reports', { sub: 'dave', tid: 'globex' }), 403);
});

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'gw.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('a `when` that cannot mean anything is a config error naming file, line and key', async (t) => {
  const text = `${hsAuth()}
rbac:
  roles:
    on-call:
      grants:
        - code: admin:access
          when:
            time: 08:00-20:00 Europe/Berlinn
    ops:
      grants: [ops:read]
  subjects:
    zed:
      roles:
        - { role: ops, when: { ip: [10.0.0.0/40] } }
      denies:
        - { code: ops:read, when: { days: [mon] } }
upstreams:
  svc: { url: "http://127.0.0.1:9" }
routes:
  - { path: /a, upstream: svc, permission: ops:read }
`;
  const issues = issuesOf(text);
  const time = issues.find((i) => i.keyPath === 'rbac.roles.on-call.grants[0].when.time');
  t.ok(time, JSON.stringify(issues.map((i) => i.keyPath)));
  t.equal(time?.location.file, 'gw.yaml');
  t.equal(time?.location.line, text.split('\n').findIndex((line) => line.includes('Europe/Berlinn')) + 1, 'the line of the window');
  t.match(time?.message, /not an IANA time zone/, String(time?.message));
  t.ok(issues.find((i) => i.keyPath === 'rbac.subjects.zed.roles[0].when.ip[0]'));
  t.match(issues.find((i) => i.keyPath === 'rbac.subjects.zed.denies[0].when'), { message: /a deny cannot carry a condition/ });
});
