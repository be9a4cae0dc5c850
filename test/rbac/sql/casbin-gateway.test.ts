// The Casbin preset on a casbin_rule table with realistic rules (test/fixtures/sql/casbin-pg.sql, PostgreSQL), through
// real gateways and a real upstream: `g` rows bind (in a domain, only in that tenant), `p` rows grant `obj:act`, a
// deny wins, a rule that cannot be a code grants nothing and, as a deny, denies everything; a rule deleted in SQL is
// refused on two instances by the NOTIFY of the preset's triggers.
import t, { type Test } from 'tap';
import { casbinPreset } from '../../../src/rbac/sql/presets/casbin.js';
import type { GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { sqlFixture, type SqlDatabase } from '../../helpers/sql-database.js';
import { sqlGateways, statusAs, timeUntil } from '../../helpers/sql-gateways.js';
import { hsAuth } from '../../helpers/tokens.js';

const FIXTURE = sqlFixture('casbin-pg.sql');

function yaml(upstreamUrl: string): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: casbin
      changes: { notify: permgate_rbac, check: 1m }
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /orders, upstream: svc, permission: { GET: order:read, POST: order:write, DELETE: order:delete } }
  - { path: /reports/export, upstream: svc, methods: [GET], permission: report:export }
  - { path: /tickets, upstream: svc, permission: { GET: ticket:read, POST: ticket:write } }
  - { path: "/t/:tenant/projects", upstream: svc, tenantParam: tenant, permission: { GET: project:read, POST: project:write, DELETE: project:delete } }
`;
}

const setUp = (t: Test, count: number): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> => sqlGateways(t, 'postgres', FIXTURE, yaml, count, casbinPreset.triggers('postgres', 'permgate_rbac'));

t.test("Casbin's rules authorize through the gateway", async (t) => {
  const { gateways: [gw] } = await setUp(t, 1);
  const cases: [string, string, string, number, string?][] = [
    ['bob', 'GET', '/orders', 200, 'g bob viewer; p viewer order read'],
    ['bob', 'GET', '/reports/export', 200, 'a p row naming the user: a direct grant'],
    ['bob', 'POST', '/orders', 403, 'viewer does not write'],
    ['hank', 'POST', '/orders', 200, 'editor writes'],
    ['hank', 'GET', '/orders', 200, 'editor inherits viewer (g editor viewer)'],
    ['hank', 'DELETE', '/orders', 403],
    ['gina', 'POST', '/orders', 403, 'intern inherits editor, but its deny wins'],
    ['gina', 'GET', '/orders', 200],
    ['mallory', 'GET', '/orders', 403, "a deny naming the user beats the viewer role's grant"],
    ['frank', 'DELETE', '/orders', 200, 'admin'],
    ['erin', 'POST', '/tickets', 200, 'support'],
    ['jack', 'GET', '/orders', 403, 'a deny on a URL path cannot be a code: it denies everything (when in doubt, deny)'],
    ['alice', 'GET', '/t/acme/projects', 200, 'tenant-admin in the acme domain'],
    ['alice', 'POST', '/t/acme/projects', 200],
    ['alice', 'DELETE', '/t/acme/projects', 403, 'the domain deny'],
    ['alice', 'GET', '/t/globex/projects', 403, 'her binding holds in acme only'],
    ['carol', 'GET', '/t/globex/projects', 200, 'tenant-admin in globex reads there'],
    ['carol', 'POST', '/t/globex/projects', 403, 'write is granted in acme only'],
    ['nobody', 'GET', '/orders', 403],
  ];
  for (const [sub, method, path, expected, why] of cases) t.equal(await statusAs(gw!, sub, method, path), expected, `${sub} ${method} ${path}: ${why}`);
});

t.test('a binding deleted in SQL is refused on two instances by the NOTIFY', async (t) => {
  const { db, gateways: [a, b] } = await setUp(t, 2);
  for (const gw of [a!, b!]) t.equal(await statusAs(gw, 'bob', 'GET', '/orders'), 200, 'compiled and cached on both');
  await db.query("DELETE FROM casbin_rule WHERE ptype = 'g' AND v0 = 'bob' AND v1 = 'viewer'");
  const [onA, onB] = await Promise.all([timeUntil(a!, 'bob', 'GET', '/orders', 403, 3_000), timeUntil(b!, 'bob', 'GET', '/orders', 403, 3_000)]);
  t.ok(onA < 1_000 && onB < 1_000, `refused on a after ${onA.toFixed(0)} ms, on b after ${onB.toFixed(0)} ms`);
  t.equal(await statusAs(a!, 'bob', 'GET', '/reports/export'), 200, 'his direct grant stays');
  await db.query("UPDATE casbin_rule SET v3 = 'deny' WHERE ptype = 'p' AND v0 = 'editor' AND v1 = 'order' AND v2 = 'write'");
  const roleChange = await timeUntil(b!, 'hank', 'POST', '/orders', 403, 3_000);
  t.ok(roleChange < 1_000, `a role's grant turned into a deny: refused after ${roleChange.toFixed(0)} ms`);
});
