// The SQL source is checked at start: each configured query runs once (the per-subject ones for a probe subject), and
// one that fails as written or returns the wrong columns is a config error naming its key, as is a query that would
// write (the sessions are read-only). A database that does not answer is not a config error: the gateway starts, its
// protected routes answer 503 and readiness says why, and it recovers by itself once the database answers.
import t, { type Test } from 'tap';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseConfig } from '../../../src/config/load.js';
import { startDelayingProxy } from '../../helpers/delaying-proxy.js';
import { startGateway } from '../../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../../helpers/recording-upstream.js';
import { createDatabase, sqlFixture, PG_SERVER } from '../../helpers/sql-database.js';
import { hsAuth, token } from '../../helpers/tokens.js';

function yaml(sql: string, upstreamUrl = 'http://127.0.0.1:9'): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
${sql.replace(/^/gm, '      ')}
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /system/user/list, upstream: svc, permission: system:user:list }
`;
}

async function startError(t: Test, sql: string, url: string): Promise<string> {
  try {
    const gw = await startGateway(yaml(sql), { RBAC_DATABASE_URL: url });
    await gw.close();
    return 'started';
  } catch (err) {
    t.type(err, ConfigError);
    return (err as Error).message;
  }
}

t.test('a query that fails or returns the wrong columns is a config error naming its key', async (t) => {
  const db = await createDatabase('postgres', sqlFixture('ruoyi-pg.sql'));
  t.teardown(() => db.drop());
  const preset = 'preset: ruoyi\nchanges: { poll: 1s, version: SELECT 1 AS version }\nqueries:\n';
  t.match(
    await startError(t, `${preset}  roleGrants: SELECT r.role_key AS role, m.perms AS permission FROM sys_role r JOIN sys_role_menu rm ON rm.role_id = r.role_id JOIN sys_menu m ON m.menu_id = rm.menu_id`, db.url),
    /test\.yaml:\d+:\d+: rbac\.source\.sql\.queries\.roleGrants: returns no code column/,
    'a mistyped alias',
  );
  t.match(
    await startError(t, `${preset}  subjectRoles: SELECT role_key AS role FROM sys_roles WHERE role_key = :subject`, db.url),
    /rbac\.source\.sql\.queries\.subjectRoles: fails: relation "sys_roles" does not exist \(SQLSTATE 42P01\)/,
    'a table that does not exist',
  );
  t.match(await startError(t, `${preset}  roleParents: SELEC role, parent FROM x`, db.url), /rbac\.source\.sql\.queries\.roleParents: fails: syntax error/, 'bad SQL');
  t.match(
    await startError(t, `${preset}  roleGrants: WITH gone AS (DELETE FROM sys_role_menu RETURNING role_id) SELECT 'a' AS role, 'b' AS code FROM gone`, db.url),
    /rbac\.source\.sql\.queries\.roleGrants: fails: cannot execute \w+ in a read-only transaction \(SQLSTATE 25006\)/,
    'a query that would write fails: the session is read-only',
  );
  t.equal(Number((await db.query('SELECT count(*) AS n FROM sys_role_menu'))[0]!.n) > 0, true, 'and nothing was deleted');
  t.match(
    await startError(t, 'preset: ruoyi\nchanges: { notify: permgate_rbac }', db.url),
    /rbac\.source\.sql\.changes\.version: fails: relation "permgate_rbac_version" does not exist.*\(install the version row and triggers: permgate sql triggers --preset ruoyi\)/,
    'the preset version row without its triggers installed',
  );
  t.match(await startError(t, `${preset}  subjectGrants: SELECT 'x' AS code, 1 AS extra FROM sys_user WHERE user_name = :subject`, db.url), /subjectGrants: returns extra, which is not one of code, \[effect\], \[tenant\], \[expires_at\]/);
  // The per-role queries run at start too, for a probe role that matches nothing.
  t.match(
    await startError(t, `${preset}  roleGrantsOf: SELECT r.role_key AS role, r.role_name AS permission FROM sys_role r WHERE r.role_key = :role`, db.url),
    /test\.yaml:\d+:\d+: rbac\.source\.sql\.queries\.roleGrantsOf: returns no code column/,
    'a per-role query with a mistyped alias',
  );
  t.match(
    await startError(t, `${preset}  roleGrantsOf: SELECT role_key AS role, perms AS code FROM sys_roles WHERE role_key = :role`, db.url),
    /rbac\.source\.sql\.queries\.roleGrantsOf: fails: relation "sys_roles" does not exist/,
    'a per-role query that fails',
  );
});

t.test('what the config alone shows wrong is refused before any database is asked', async (t) => {
  const check = (sql: string, url = 'postgres://u:secret-password@127.0.0.1:1/db'): string => {
    try {
      parseConfig(yaml(sql), 'test.yaml', { RBAC_DATABASE_URL: url });
      return 'valid';
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.match(check('preset: none\nchanges: { poll: 1s, version: SELECT 1 AS version }\nqueries: { subjectRoles: SELECT role FROM r, roleGrants: SELECT role, code FROM g }'), /queries\.subjectRoles: does not name :subject/);
  t.match(check('preset: none\nchanges: { poll: 1s, version: SELECT 1 AS version }\nqueries: { subjectRoles: "SELECT role FROM r WHERE u = :subject AND t = :tenant", roleGrants: SELECT role, code FROM g }'), /queries\.subjectRoles: names :tenant, which the source does not supply/);
  t.match(check('preset: none\nchanges: { poll: 1s, version: SELECT 1 AS version }'), /rbac\.source\.sql\.queries: needs subjectRoles/);
  t.match(check('preset: none\nqueries: { subjectRoles: "SELECT role FROM r WHERE u = :subject", roleGrants: SELECT role, code FROM g }'), /rbac\.source\.sql\.changes\.version: is needed/);
  t.match(check('preset: ruoyi\nchanges: { notify: permgate_rbac }', 'mysql://root@127.0.0.1:1/db'), /changes\.notify: MySQL and MariaDB have no LISTEN\/NOTIFY/);
  t.match(check('preset: ruoyi', 'redis://127.0.0.1:1'), /rbac\.source\.sql\.url: is not a postgres:\/\/, postgresql:\/\/, mysql:\/\/ or mariadb:\/\/ URL/);
  t.match(check('preset: ruoyi\nchanges: { notify: "x; DROP TABLE y" }'), /changes\.notify: a channel is lower-case letters, digits and _/);
  t.notMatch(check('preset: ruoyi', 'ftp://u:secret-password@h/db'), /secret-password/, 'the URL (and its password) is never repeated');
  t.equal(check('preset: ruoyi'), 'valid');
  const own = 'preset: none\nchanges: { poll: 1s, version: SELECT 1 AS version }\nqueries:\n  subjectRoles: "SELECT role FROM r WHERE u = :subject"\n  roleGrants: SELECT role, code FROM g\n';
  t.match(check(`${own}  roleGrantsOf: SELECT role, code FROM g`), /queries\.roleGrantsOf: does not name :role, so every role would get the same rows/);
  t.match(check(`${own}  roleGrantsOf: "SELECT role, code FROM g WHERE u = :subject"`), /queries\.roleGrantsOf: names :subject, which the source does not supply \(only :role\)/);
  t.match(check(`${own}  roleGrantsOf: "SELECT role, code FROM g WHERE role = :role"\n  roleParentsOf: "SELECT role, parent FROM p WHERE role = :role"`), /queries\.roleParentsOf: reads one role's roleParents rows, but there is no roleParents query/);
  t.match(check(`${own}  roleParents: SELECT role, parent FROM p\n  roleParentsOf: "SELECT role, parent FROM p WHERE role = :role"`), /queries\.roleParentsOf: is only read beside roleGrantsOf/);
  t.equal(check(`${own}  roleGrantsOf: "SELECT role, code FROM g WHERE role = :role"`), 'valid');
});

t.test("a preset's per-role query is used only with the preset's full query it reads a part of", async (t) => {
  const queries = (sql: string) => parseConfig(yaml(sql), 'test.yaml', { RBAC_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' }).config.rbac.source?.sql?.queries;
  t.match(queries('preset: spring-security'), { roleGrantsOf: /:role/, roleParentsOf: /:role/ }, 'the preset gives both');
  const overridden = queries('preset: spring-security\nqueries: { roleGrants: "SELECT a AS role, b AS code FROM mine" }');
  t.equal(overridden?.roleGrantsOf, undefined, "roleGrants overridden: the preset's roleGrantsOf would read another query's rows, so a role change reads roleGrants");
  t.match(overridden?.roleParentsOf, /:role/, 'roleParents is still the preset\'s, and so is its per-role form');
  t.equal(queries('preset: spring-security\nqueries: { roleParents: "SELECT a AS role, b AS parent FROM mine" }')?.roleParentsOf, undefined);
});

t.test('a database unreachable at start: the gateway starts, protected routes answer 503, and it recovers without a restart', async (t) => {
  const db = await createDatabase('postgres', sqlFixture('ruoyi-pg.sql'));
  t.teardown(() => db.drop());
  const proxy = await startDelayingProxy({ host: PG_SERVER.host, port: PG_SERVER.port });
  t.teardown(() => proxy.close());
  proxy.cut();
  const upstream = await startRecordingUpstream();
  t.teardown(() => upstream.close());
  const { ruoyi } = await import('../../../src/rbac/sql/presets/ruoyi.js');
  await db.query(ruoyi.triggers('postgres', 'permgate_rbac'));
  const gw = await startGateway(yaml('preset: ruoyi\nchanges: { notify: permgate_rbac, check: 200ms }', upstream.url), {
    RBAC_DATABASE_URL: `postgres://${PG_SERVER.user}@127.0.0.1:${proxy.port}/${db.name}`,
  });
  t.teardown(() => gw.close());
  const jwt = await token({ sub: 'li_lei', scope: undefined });
  const ask = async (): Promise<{ status: number; code: string | undefined }> => {
    const res = await fetch(`${gw.url}/system/user/list`, { headers: { authorization: `Bearer ${jwt}` } });
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
    return { status: res.status, code: body.error?.code };
  };
  t.same(await ask(), { status: 503, code: 'PG_STORE_UNAVAILABLE' }, 'no permissions were ever read: 503, never a guess');
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  const body = (await ready.json()) as { status: string; rbac: { current: boolean; sources: { sql: { current: boolean } } } };
  t.equal(ready.status, 503, 'readiness: unready (every protected route is refused)');
  t.same([body.status, body.rbac.current, body.rbac.sources.sql.current], ['unready', false, false], 'and it says the SQL source is down');
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_rbac_source_up\{source="sql"\} 0/);
  proxy.mend();
  let status = 0;
  for (const deadline = Date.now() + 5_000; status !== 200 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) status = (await ask()).status;
  t.equal(status, 200, 'once the database answers, li_lei is authorized: no restart');
  t.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200, 'and the instance is ready');
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_rbac_source_up\{source="sql"\} 1/);

  // The source is opened and checked once: a reload that changes it is refused, and the message shows no URL.
  const url = `postgres://${PG_SERVER.user}:not-a-real-password@127.0.0.1:${proxy.port}/${db.name}`;
  const listeners = 'server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n';
  const changed = parseConfig(listeners + yaml('preset: ruoyi\nchanges: { notify: permgate_rbac, check: 200ms }', upstream.url), 'test.yaml', {
    RBAC_DATABASE_URL: url,
  });
  const refusal = await gw.gateway.reload({ next: changed }).then(
    () => 'applied',
    (err: Error) => err.message,
  );
  t.match(refusal, /rbac\.source\.sql: changed from "sha256:[0-9a-f]{12}" to "sha256:[0-9a-f]{12}", which only a restart can apply/);
  t.notMatch(refusal, /not-a-real-password/);
});
