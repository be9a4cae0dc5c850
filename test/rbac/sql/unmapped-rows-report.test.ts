// Rows a preset cannot map are reported, not dropped silently (issue 16): with the casbin preset on a casbin_rule
// table that holds g2 rows and lines of shapes the preset does not read (test/fixtures/sql/casbin-pg.sql, PostgreSQL),
// a real gateway logs at start a warning naming the count and the preset and sets permgate_rbac_sql_unmapped_rows; a
// full reload counts again. The operator's own queries are not described by the preset's count: none is made then.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { casbinPreset } from '../../../src/rbac/sql/presets/casbin.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { createDatabase, sqlFixture, type SqlDatabase } from '../../helpers/sql-database.js';
import { hsAuth } from '../../helpers/tokens.js';

const FIXTURE = sqlFixture('casbin-pg.sql');

function yaml(sql = ''): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: casbin
      changes: { notify: permgate_rbac, check: 1m }
${sql.replace(/^/gm, '      ')}
upstreams:
  svc: { url: "http://127.0.0.1:9" }
routes:
  - { path: /orders, upstream: svc, permission: order:read }
`;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A gateway on `db` whose log lines (warn and above) are kept, parsed. */
async function gatewayOn(t: Test, db: SqlDatabase, sql?: string): Promise<{ gw: GatewayUnderTest; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  const gw = await startGateway(yaml(sql), { RBAC_DATABASE_URL: db.url }, { logger: { level: 'warn', stream } });
  t.teardown(() => gw.close());
  return { gw, lines };
}

async function database(t: Test): Promise<SqlDatabase> {
  const db = await createDatabase('postgres', FIXTURE);
  t.teardown(() => db.drop());
  await db.query(casbinPreset.triggers('postgres', 'permgate_rbac'));
  return db;
}

const unmappedLines = (lines: readonly LogLine[]) => lines.filter((line) => line.msg.includes('cannot map'));

async function gauge(gw: GatewayUnderTest): Promise<number | undefined> {
  const match = /^permgate_rbac_sql_unmapped_rows\{preset="casbin"\} (\d+)$/m.exec(await gw.gateway.metrics.registry.metrics());
  return match === null ? undefined : Number(match[1]);
}

t.test('at start, the rows the casbin preset cannot map are counted: a warning names the count and the preset, a gauge holds it', async (t) => {
  const db = await database(t);
  const { gw, lines } = await gatewayOn(t, db);
  const [line, ...more] = unmappedLines(lines);
  t.match(line, { level: 40, source: 'sql', preset: 'casbin', unmapped: 4, kinds: { g2: 2, g: 1, p: 1 } }, 'logged before the gateway listens');
  t.match(line?.msg, /the casbin preset cannot map: 4 left out/);
  t.same(more, [], 'once');
  t.equal(await gauge(gw), 4);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_rbac_sql_queries_total\{query="unmapped",outcome="ok"\} 1/, 'the count is a query like the others');
});

t.test('a full reload counts again, and logs only a count that changed', async (t) => {
  const db = await database(t);
  const { gw, lines } = await gatewayOn(t, db);
  t.equal(await gauge(gw), 4);
  // Two more rows the preset does not read; then a resync, as a lost notification or a reconnect would bring.
  await db.query("INSERT INTO casbin_rule (ptype, v0, v1) VALUES ('g3', 'alice', 'ops'), ('g2', '/data3/item', 'data3-group')");
  await db.query(`SELECT pg_notify('permgate_rbac', '{"resync": true}')`);
  for (let i = 0; i < 200 && (await gauge(gw)) !== 6; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal(await gauge(gw), 6, 'the gauge follows the new count');
  t.match(unmappedLines(lines).map((line) => [line['unmapped'], line['kinds']]), [[4], [6, { g2: 3, g3: 1, g: 1, p: 1 }]]);

  await db.query(`SELECT pg_notify('permgate_rbac', '{"resync": true}')`);
  for (let i = 0; i < 200 && !/query="unmapped",outcome="ok"\} 3/.test(await gw.gateway.metrics.registry.metrics()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.match(await gw.gateway.metrics.registry.metrics(), /query="unmapped",outcome="ok"\} 3/, 'counted on the third full read');
  t.equal(unmappedLines(lines).length, 2, 'the same count is not logged again');
});

t.test('with a query of its own the operator reads rows the preset does not describe: nothing is counted', async (t) => {
  const db = await database(t);
  const { gw, lines } = await gatewayOn(t, db, "queries:\n  roleGrants: SELECT v0 AS role, v1 || ':' || v2 AS code FROM casbin_rule WHERE ptype = 'p' AND v3 IS NULL");
  t.same(unmappedLines(lines), []);
  t.equal(await gauge(gw), undefined);
  t.notMatch(await gw.gateway.metrics.registry.metrics(), /query="unmapped"/);
});
