// The Spring Security preset on its JDBC schema with realistic data (test/fixtures/sql/spring-security-mariadb.sql,
// MariaDB), through real gateways and a real upstream: `ROLE_` authorities bind roles whose grants the YAML `rbac`
// section gives, other authorities are codes, groups are roles, disabled users hold nothing; a membership deleted in
// SQL is refused on two instances within one poll interval (MariaDB has no LISTEN: the preset's version query, here
// without triggers, is polled).
import t, { type Test } from 'tap';
import type { GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { sqlFixture, type SqlDatabase } from '../../helpers/sql-database.js';
import { sqlGateways, statusAs, timeUntil } from '../../helpers/sql-gateways.js';
import { hsAuth } from '../../helpers/tokens.js';

const FIXTURE = sqlFixture('spring-security-mariadb.sql');
const POLL_MS = 200;

function yaml(upstreamUrl: string): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  roles:
    USER: { grants: [catalog:read] }
    AUDITOR: { grants: [report:read] }
    ADMIN: { grants: ["*"] }
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: spring-security
      changes: { poll: ${POLL_MS}ms }
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /catalog, upstream: svc, methods: [GET], permission: catalog:read }
  - { path: /stock, upstream: svc, permission: { GET: stock:read, POST: stock:write } }
  - { path: /invoices, upstream: svc, permission: { GET: invoice:read, POST: invoice:write } }
  - { path: /customers, upstream: svc, methods: [GET], permission: customer:read }
  - { path: /reports, upstream: svc, methods: [GET], permission: report:read }
`;
}

const setUp = (t: Test, count: number): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> => sqlGateways(t, 'mysql', FIXTURE, yaml, count);

t.test("Spring Security's users are authorized by its own conventions, with role grants from the YAML", async (t) => {
  const { gateways: [gw] } = await setUp(t, 1);
  const cases: [string, string, string, number, string?][] = [
    ['alice', 'GET', '/catalog', 200, 'ROLE_USER binds USER, whose grant the YAML gives'],
    ['alice', 'GET', '/stock', 403, 'USER holds no stock'],
    ['bob', 'GET', '/stock', 200, 'a member of warehouse: the group is a role holding its authorities'],
    ['bob', 'POST', '/stock', 200],
    ['bob', 'POST', '/invoices', 403, 'warehouse holds no invoices'],
    ['erin', 'GET', '/stock', 403, 'a disabled user holds nothing, though a member of warehouse'],
    ['hank', 'POST', '/invoices', 200, 'a member of accounting too'],
    ['hank', 'GET', '/reports', 200, "accounting's ROLE_AUDITOR: the group inherits AUDITOR"],
    ['isla.adams', 'GET', '/customers', 200, 'a plain authority is a direct grant'],
    ['carol', 'POST', '/invoices', 200, 'ROLE_ADMIN binds ADMIN: * from the YAML'],
    ['frank', 'POST', '/stock', 200, 'a member of admins, whose ROLE_ADMIN the group inherits'],
    ['nobody', 'GET', '/catalog', 403, 'a user the database does not know'],
    ["alice' OR '1'='1", 'GET', '/catalog', 403, 'the subject is bound, never spliced'],
  ];
  for (const [sub, method, path, expected, why] of cases) t.equal(await statusAs(gw!, sub, method, path), expected, `${sub} ${method} ${path}${why ? `: ${why}` : ''}`);
});

t.test('a membership deleted in SQL is refused on two instances within a poll interval', async (t) => {
  const { db, gateways: [a, b] } = await setUp(t, 2);
  for (const gw of [a!, b!]) t.equal(await statusAs(gw, 'bob', 'GET', '/stock'), 200, 'compiled and cached on both');
  await db.query("DELETE FROM group_members WHERE username = 'bob'");
  const [onA, onB] = await Promise.all([timeUntil(a!, 'bob', 'GET', '/stock', 403, 5_000), timeUntil(b!, 'bob', 'GET', '/stock', 403, 5_000)]);
  // One poll interval, plus the reload and a margin for a shared 2-core test machine.
  t.ok(onA < POLL_MS + 1_000 && onB < POLL_MS + 1_000, `refused on a after ${onA.toFixed(0)} ms, on b after ${onB.toFixed(0)} ms (poll every ${POLL_MS} ms)`);
  await db.query("UPDATE users SET enabled = 0 WHERE username = 'alice'");
  const disabled = await timeUntil(b!, 'alice', 'GET', '/catalog', 403, 5_000);
  t.ok(disabled < POLL_MS + 1_000, `a user disabled: refused after ${disabled.toFixed(0)} ms`);
});
