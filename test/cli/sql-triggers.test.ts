// `permgate sql triggers --preset ruoyi` prints SQL that installs as printed on a real database and makes it announce
// its RBAC changes: on PostgreSQL a NOTIFY naming the subjects and roles a write touches (a menu's perms announce the
// roles holding the menu; a login, which writes sys_user too, announces nothing), on MariaDB a version row bumped by
// every write. The built command is run as an operator runs it.
import pg from 'pg';
import t from 'tap';
import { createDatabase, sqlFixture } from '../helpers/sql-database.js';
import { runCli } from '../helpers/spawn-cli.js';

t.test('the PostgreSQL triggers install on RuoYi tables and NOTIFY the subjects and roles each write touches', async (t) => {
  const run = await runCli(['sql', 'triggers', '--preset', 'ruoyi', '--channel', 'rbac_changes']);
  t.equal(run.code, 0, run.stderr);
  const db = await createDatabase('postgres', sqlFixture('ruoyi-pg.sql'));
  t.teardown(() => db.drop());
  await db.query(run.stdout);
  await db.query(run.stdout); // installing twice (an upgrade) is harmless
  const listener = new pg.Client(db.url);
  await listener.connect();
  t.teardown(() => listener.end());
  const payloads: { version: number; subjects: string[]; roles: string[] }[] = [];
  listener.on('notification', (message) => payloads.push(JSON.parse(message.payload!)));
  await listener.query('LISTEN rbac_changes');
  const next = async (sql: string): Promise<{ subjects: string[]; roles: string[] }[]> => {
    payloads.length = 0;
    await db.query(sql);
    await db.query('SELECT 1'); // a round-trip: the notifications of the write are in by then
    await new Promise((resolve) => setTimeout(resolve, 50));
    return payloads.map(({ subjects, roles }) => ({ subjects: subjects.sort(), roles: roles.sort() }));
  };
  t.same(await next("UPDATE sys_menu SET perms = 'biz:order:browse' WHERE perms = 'biz:order:list'"), [
    { subjects: [], roles: ['auditor', 'legacy_auditor', 'sales', 'support'] },
    { subjects: [], roles: ['auditor', 'legacy_auditor', 'sales', 'support'] },
  ], "a menu's perms: the roles holding it");
  t.same(await next("DELETE FROM sys_user_role WHERE user_id = 100"), [{ subjects: ['li_lei'], roles: [] }], 'a binding: its subject');
  t.same(await next("INSERT INTO sys_role_menu VALUES (101, 2001)"), [{ subjects: [], roles: ['hr'] }], 'a role menu: its role');
  t.same(await next("UPDATE sys_user SET login_ip = '10.0.0.1', login_date = now() WHERE user_name = 'han_meimei'"), [], 'a login announces nothing');
  const disabled = await next("UPDATE sys_role SET status = '1' WHERE role_key = 'finance'");
  t.same(disabled[0]!.roles, ['finance'], 'a role disabled: the role');
  t.ok(disabled[0]!.subjects.includes('wu_ming'), 'and its holders (their subjectRoles rows change)');
  t.equal(Number((await db.query('SELECT version FROM permgate_rbac_version'))[0]!.version), 6, 'every announcement bumped the version (2 + 1 + 1 + 0 + 2)');
});

t.test('the MariaDB triggers install as printed and bump the version row on every write', async (t) => {
  const run = await runCli(['sql', 'triggers', '--preset', 'ruoyi', '--dialect', 'mysql']);
  t.equal(run.code, 0, run.stderr);
  const tables = ['sys_user (user_id INT)', 'sys_role (role_id INT)', 'sys_menu (menu_id INT)', 'sys_user_role (user_id INT, role_id INT)', 'sys_role_menu (role_id INT, menu_id INT)'];
  const db = await createDatabase('mysql', tables.map((table) => `CREATE TABLE ${table};`).join('\n'));
  t.teardown(() => db.drop());
  await db.query(run.stdout);
  await db.query('INSERT INTO sys_user_role VALUES (1, 2); DELETE FROM sys_user_role; INSERT INTO sys_menu VALUES (5); UPDATE sys_menu SET menu_id = 6;');
  t.equal(Number((await db.query('SELECT version FROM permgate_rbac_version WHERE id = 1'))[0]!.version), 4);
});

t.test('usage errors name what is wrong', async (t) => {
  const none = await runCli(['sql', 'triggers']);
  t.equal(none.code, 2);
  t.match(none.stderr, /--preset must name a preset: ruoyi/);
  const channel = await runCli(['sql', 'triggers', '--preset', 'ruoyi', '--channel', "x'); DROP TABLE sys_user; --"]);
  t.equal(channel.code, 2);
  t.match(channel.stderr, /--channel is lower-case letters, digits and _/);
  t.equal((await runCli(['sql', 'tables'])).code, 2);
});
