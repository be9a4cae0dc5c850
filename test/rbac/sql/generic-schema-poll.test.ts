// A home-made schema on MariaDB with no preset (`preset: none`): users, roles and interfaces, where a module interface
// covers every interface below it. The operator's queries map a module to a wildcard grant (`admin:order` →
// `admin:order:*`); changes are polled through a version row the schema's own triggers bump. A permission revoked with
// DELETE or UPDATE is refused on two instances within a poll interval, and only the subjects whose rows changed are
// announced.
import t, { type Test } from 'tap';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../../helpers/recording-upstream.js';
import { createDatabase, type SqlDatabase } from '../../helpers/sql-database.js';
import { statusAs, timeUntil } from '../../helpers/sql-gateways.js';
import { hsAuth } from '../../helpers/tokens.js';

const SCHEMA = `
CREATE TABLE app_user (id INT PRIMARY KEY, login VARCHAR(64) NOT NULL UNIQUE, enabled TINYINT NOT NULL DEFAULT 1);
CREATE TABLE app_role (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE);
CREATE TABLE app_user_role (user_id INT NOT NULL, role_id INT NOT NULL, PRIMARY KEY (user_id, role_id));
-- kind: 'module' covers every interface whose code starts with its own; 'api' is one interface.
CREATE TABLE interface (id INT PRIMARY KEY, code VARCHAR(128) NOT NULL, kind VARCHAR(8) NOT NULL, parent_id INT NULL);
CREATE TABLE role_interface (role_id INT NOT NULL, interface_id INT NOT NULL, PRIMARY KEY (role_id, interface_id));
CREATE TABLE rbac_version (id INT PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO rbac_version VALUES (1, 0);
CREATE TRIGGER t_ur_i AFTER INSERT ON app_user_role FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER t_ur_d AFTER DELETE ON app_user_role FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER t_ri_i AFTER INSERT ON role_interface FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER t_ri_d AFTER DELETE ON role_interface FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER t_u_u AFTER UPDATE ON app_user FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER t_i_u AFTER UPDATE ON interface FOR EACH ROW UPDATE rbac_version SET version = version + 1 WHERE id = 1;
INSERT INTO app_user VALUES (1, 'ann', 1), (2, 'ben', 1), (3, 'cid', 1), (4, 'dot', 0);
INSERT INTO app_role VALUES (1, 'order-admin'), (2, 'order-clerk'), (3, 'auditor');
INSERT INTO interface VALUES
  (10, 'admin:order', 'module', NULL), (11, 'admin:order:list', 'api', 10), (12, 'admin:order:refund', 'api', 10),
  (20, 'admin:report', 'module', NULL), (21, 'admin:report:view', 'api', 20);
INSERT INTO role_interface VALUES (1, 10), (2, 11), (3, 21);
INSERT INTO app_user_role VALUES (1, 1), (2, 2), (3, 3), (4, 1);
`;

const QUERIES = `
      queries:
        subjectRoles: SELECT r.name AS role FROM app_user u JOIN app_user_role ur ON ur.user_id = u.id JOIN app_role r ON r.id = ur.role_id WHERE u.login = :subject AND u.enabled = 1
        roleGrants: "SELECT r.name AS role, CASE WHEN i.kind = 'module' THEN CONCAT(i.code, ':*') ELSE i.code END AS code FROM app_role r JOIN role_interface ri ON ri.role_id = r.id JOIN interface i ON i.id = ri.interface_id"
      changes: { poll: 200ms, version: SELECT version FROM rbac_version WHERE id = 1 }`;

function yaml(upstreamUrl: string): string {
  return `${hsAuth()}
rbac:
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: none${QUERIES}
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /admin/order/list, upstream: svc, permission: admin:order:list }
  - { path: /admin/order/refund, upstream: svc, methods: [POST], permission: admin:order:refund }
  - { path: /admin/report/view, upstream: svc, permission: admin:report:view }
`;
}

async function setUp(t: Test, count: number): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> {
  const db = await createDatabase('mysql', SCHEMA);
  t.teardown(() => db.drop());
  const upstream = await startRecordingUpstream();
  const gateways: GatewayUnderTest[] = [];
  t.teardown(async () => {
    for (const gw of gateways) await gw.close();
    await upstream.close();
  });
  for (let i = 0; i < count; i++) gateways.push(await startGateway(yaml(upstream.url), { RBAC_DATABASE_URL: db.url }));
  return { db, gateways };
}

const status = (gw: GatewayUnderTest, method: string, path: string, sub: string): Promise<number> => statusAs(gw, sub, method, path);

/** One poll interval (200 ms) plus the reads it triggers; generous because the test machine is shared and loaded. */
const BOUND = 1_500;

t.test('a module interface covers the interfaces below it; a single interface covers itself', async (t) => {
  const { gateways: [gw] } = await setUp(t, 1);
  t.equal(await status(gw!, 'GET', '/admin/order/list', 'ann'), 200, 'order-admin holds the admin:order module: list');
  t.equal(await status(gw!, 'POST', '/admin/order/refund', 'ann'), 200, 'and refund');
  t.equal(await status(gw!, 'GET', '/admin/report/view', 'ann'), 403, 'but not another module');
  t.equal(await status(gw!, 'GET', '/admin/order/list', 'ben'), 200, 'order-clerk holds admin:order:list');
  t.equal(await status(gw!, 'POST', '/admin/order/refund', 'ben'), 403, 'and nothing else below the module');
  t.equal(await status(gw!, 'GET', '/admin/report/view', 'cid'), 200);
  t.equal(await status(gw!, 'GET', '/admin/order/list', 'dot'), 403, 'a disabled user holds nothing');
  t.equal(await status(gw!, 'GET', '/admin/order/list', "x' OR '1'='1"), 403, 'a subject written as SQL is a value');
});

t.test('revoked with DELETE or UPDATE in MariaDB: refused on two instances within a poll interval', async (t) => {
  const { db, gateways: [a, b] } = await setUp(t, 2);
  for (const gw of [a!, b!]) {
    t.equal(await status(gw, 'POST', '/admin/order/refund', 'ann'), 200);
    t.equal(await status(gw, 'GET', '/admin/order/list', 'ben'), 200);
    t.equal(await status(gw, 'GET', '/admin/report/view', 'cid'), 200);
  }
  // A role loses its module: a role change, announced after the roles are read again.
  await db.query('DELETE FROM role_interface WHERE role_id = 1 AND interface_id = 10');
  const [roleA, roleB] = await Promise.all([a!, b!].map((gw) => timeUntil(gw, 'ann', 'POST', '/admin/order/refund', 403, 3_000)));
  t.ok(roleA! < BOUND && roleB! < BOUND, `role revoked: refused on a after ${roleA!.toFixed(0)} ms, on b after ${roleB!.toFixed(0)} ms (poll 200 ms)`);
  // A user disabled: the subjects read here are read again, and only the one whose rows differ is announced.
  const cache = async (gw: GatewayUnderTest): Promise<number> =>
    Number(/permgate_rbac_cache_lookups_total\{result="miss"\} (\d+)/.exec(await gw.gateway.metrics.registry.metrics())?.[1] ?? 0);
  const missesBefore = await cache(a!);
  await db.query("UPDATE app_user SET enabled = 0 WHERE login = 'ben'");
  const [userA, userB] = await Promise.all([a!, b!].map((gw) => timeUntil(gw, 'ben', 'GET', '/admin/order/list', 403, 3_000)));
  t.ok(userA! < BOUND && userB! < BOUND, `user disabled: refused on a after ${userA!.toFixed(0)} ms, on b after ${userB!.toFixed(0)} ms`);
  t.equal(await status(a!, 'GET', '/admin/report/view', 'cid'), 200, 'cid, whose rows did not change, is still allowed');
  t.equal((await cache(a!)) - missesBefore, 1, "and only ben's compiled entry was dropped (one miss: his re-read)");
  t.notMatch(await a!.gateway.metrics.registry.metrics(), /permgate_rbac_resyncs_total\{reason="version changed"\}/, 'no resync was needed');
});
