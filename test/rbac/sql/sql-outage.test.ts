// The database cut under load (a TCP proxy between the gateway and PostgreSQL drops every connection; the shared
// server is never stopped). No wrongful allow: a permission revoked in SQL while the gateway cannot see it is used at
// most until rbac.maxStaleness after the cut, sensitive routes fail closed (503) at once, subjects never compiled get
// 503; readiness and metrics say the source is down; once the database answers again everything recovers without a
// restart and the revocation is in force.
import t from 'tap';
import { ruoyi } from '../../../src/rbac/sql/presets/ruoyi.js';
import { startDelayingProxy } from '../../helpers/delaying-proxy.js';
import { startGateway } from '../../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../../helpers/recording-upstream.js';
import { createDatabase, sqlFixture, PG_SERVER } from '../../helpers/sql-database.js';
import { statusAs } from '../../helpers/sql-gateways.js';
import { hsAuth } from '../../helpers/tokens.js';

const MAX_STALENESS = 1_500;

t.test('the database cut under load: no wrongful allow, 503 where nothing current can decide, recovery without restart', async (t) => {
  const db = await createDatabase('postgres', sqlFixture('ruoyi-pg.sql'));
  t.teardown(() => db.drop());
  await db.query(ruoyi.triggers('postgres', 'permgate_rbac'));
  const proxy = await startDelayingProxy({ host: PG_SERVER.host, port: PG_SERVER.port });
  t.teardown(() => proxy.close());
  const upstream = await startRecordingUpstream();
  t.teardown(() => upstream.close());
  const gw = await startGateway(
    `${hsAuth()}
rbac:
  syncInterval: 200ms
  maxStaleness: ${MAX_STALENESS}ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: ruoyi
      statementTimeout: 500ms
      connectTimeout: 500ms
      changes: { notify: permgate_rbac, check: 200ms }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /biz/order/list, upstream: svc, permission: biz:order:list }
  - { path: /biz/order/remove, upstream: svc, methods: [POST], permission: biz:order:remove, sensitive: true }
`,
    { RBAC_DATABASE_URL: `postgres://${PG_SERVER.user}@127.0.0.1:${proxy.port}/${db.name}` },
  );
  t.teardown(() => gw.close());
  const ask = (sub: string, method = 'GET', path = '/biz/order/list'): Promise<number> => statusAs(gw, sub, method, path);
  t.equal(await ask('han_meimei'), 200, 'han_meimei (sales) lists orders');
  t.equal(await ask('han_meimei', 'POST', '/biz/order/remove'), 200, 'and removes them (a sensitive route)');
  t.equal(await ask('li_lei'), 403, 'li_lei (hr) does not');

  // Load: three callers in a loop for the whole test; every answer is kept with the moment it came.
  const answers: { at: number; sub: string; status: number }[] = [];
  let loading = true;
  const load = (async () => {
    while (loading) {
      await Promise.all(['han_meimei', 'li_lei', 'zhou_jie'].map(async (sub) => answers.push({ at: Date.now(), sub, status: await ask(sub) })));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, 200));
  const cutAt = Date.now();
  proxy.cut();
  // Revoked in SQL while the gateway cannot see it (directly, not through the proxy).
  await db.query("DELETE FROM sys_role_menu WHERE role_id = 100 AND menu_id = 2001");
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(await ask('han_meimei', 'POST', '/biz/order/remove'), 503, 'a sensitive route fails closed as soon as the source is not current');
  t.equal(await ask('wang_ming'), 503, 'a subject never compiled: 503');
  const ready = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { status: string; rbac: { sources: { sql: { current: boolean } } } };
  t.same([ready.status, ready.rbac.sources.sql.current], ['degraded', false], 'readiness: degraded, the SQL source down');
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_rbac_source_up\{source="sql"\} 0/);
  await new Promise((resolve) => setTimeout(resolve, MAX_STALENESS + 300));
  t.equal(await ask('han_meimei'), 503, 'past maxStaleness: 503, the stale grant is not used');
  t.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 503, 'readiness: unready (no protected route can be served)');

  const mendAt = Date.now();
  proxy.mend();
  let recovered = 0;
  for (const deadline = Date.now() + 10_000; recovered !== 403 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) recovered = await ask('han_meimei');
  t.equal(recovered, 403, 'recovered without a restart, and the revocation made during the outage is in force');
  t.equal(await ask('zhou_jie'), 200, 'zhou_jie keeps it: his other role (support) holds the menu too');
  t.equal((await fetch(`${gw.adminUrl}/readyz`)).status, 200, 'ready again');
  await new Promise((resolve) => setTimeout(resolve, 200));
  loading = false;
  await load;

  // Wrongful: li_lei at any time; han_meimei once the revocation could no longer be ignored (maxStaleness after the
  // cut); anyone between then and the database's return (nothing current could decide).
  const wrongful = answers.filter(
    (a) => a.status === 200 && (a.sub === 'li_lei' || (a.sub === 'han_meimei' && a.at > cutAt + MAX_STALENESS) || (a.at > cutAt + MAX_STALENESS && a.at < mendAt)),
  );
  t.same(wrongful.map((a) => ({ ...a, afterCut: a.at - cutAt, mendedAfter: mendAt - cutAt })), [], `no wrongful allow in ${answers.length} requests under load`);
  const statuses = new Set(answers.map((a) => a.status));
  t.ok([...statuses].every((s) => s === 200 || s === 403 || s === 503), `only 200, 403 and 503 were answered: ${[...statuses].join(', ')}`);
  t.ok(answers.some((a) => a.at > mendAt && a.sub === 'han_meimei' && a.status === 403), 'the load saw the revocation after recovery');
});
