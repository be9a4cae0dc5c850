// The embedded store's file: where it is (store.path, relative to the config file), who may read it, and every way it
// can be unusable at start — each a clear PG_STORE_FILE_UNUSABLE, never a silently empty store.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { isGatewayError } from '../../src/errors.js';
import { SqliteRbacStore } from '../../src/stores/sqlite/sqlite-rbac-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { stateFile } from '../helpers/state-file.js';

function refusal(open: () => unknown): string {
  try {
    open();
  } catch (err) {
    if (isGatewayError(err) && err.code === 'PG_STORE_FILE_UNUSABLE') return err.detail ?? '';
    throw err;
  }
  throw new Error('the file was accepted');
}

const UPSTREAM = 'upstreams:\n  s: { url: "http://127.0.0.1:9" }\nroutes:\n  - { path: /x, upstream: s, auth: none }\n';

t.test('store.path is resolved against the config file\'s directory, defaults to permgate-state.db beside it, and "memory" keeps nothing', async (t) => {
  const path = (store: string): string | undefined => parseConfig(`${store}${UPSTREAM}`, '/etc/permgate/gateway.config.yaml', {}).config.store.path;
  t.equal(path(''), '/etc/permgate/permgate-state.db');
  t.equal(path('store: { path: state/gw.db }\n'), '/etc/permgate/state/gw.db');
  t.equal(path('store: { path: /var/lib/permgate/state.db }\n'), '/var/lib/permgate/state.db');
  t.equal(path('store: { path: memory }\n'), undefined);
  t.equal(path('store: { path: "" }\n'), '/etc/permgate/permgate-state.db', 'empty (an unset ${VAR:-}) is the default');
  t.throws(() => parseConfig(`store: { audit: { denials: 5 } }\n${UPSTREAM}`, 'gw.yaml', {}), /store\.audit\.denials/);
});

t.test('a new state file is created readable by its owner only, in WAL mode, with synchronous=FULL', async (t) => {
  const { path } = await stateFile(t);
  const store = SqliteStore.open(path);
  t.teardown(() => store.close());
  t.equal((await stat(path)).mode & 0o777, 0o600);
  await new SqliteRbacStore(store).writeSubject('carol', '', { roles: [], grants: [], denies: [] });
  t.equal((await stat(`${path}-wal`)).mode & 0o777, 0o600, 'and so is its WAL journal');
  t.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(store.db.pragma('synchronous', { simple: true }), 2, 'FULL');
});

t.test('a file that is not a database is refused, and left as it was', async (t) => {
  const { path } = await stateFile(t);
  await writeFile(path, 'this is a text file, not a database, and it is long enough to have a header\n'.repeat(20));
  const before = await readFile(path);
  t.match(refusal(() => SqliteStore.open(path)), /state\.db: not a SQLite database/);
  t.same(await readFile(path), before);
});

t.test('another application\'s SQLite file is refused, never written into', async (t) => {
  const { path } = await stateFile(t);
  const other = new Database(path);
  other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
  other.close();
  t.match(refusal(() => SqliteStore.open(path)), /not a permgate state file/);
  const check = new Database(path, { readonly: true });
  t.same(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all(), [{ name: 'invoices' }]);
  check.close();
});

t.test('a state file written by a newer permgate is refused', async (t) => {
  const { path } = await stateFile(t);
  (await SqliteStore.open(path)).close();
  const raw = new Database(path);
  raw.pragma('user_version = 99');
  raw.close();
  t.match(refusal(() => SqliteStore.open(path)), /written by a newer permgate \(layout 99/);
});

t.test('a corrupt state file is refused at start', async (t) => {
  const { path } = await stateFile(t);
  const store = SqliteStore.open(path);
  const rbac = new SqliteRbacStore(store);
  for (let i = 0; i < 200; i++) await rbac.writeSubject(`subject-${i}`, '', { roles: [{ role: 'viewer' }], grants: [], denies: [] } as never);
  await store.close();
  const bytes = await readFile(path);
  t.ok(bytes.length > 8192, 'several pages');
  bytes.fill(0x5a, 4096, 4096 + 16); // garble the header of the second page
  await writeFile(path, bytes);
  t.match(refusal(() => SqliteStore.open(path)), /corrupt|malformed|not a SQLite/);
});

t.test('a path whose directory does not exist is refused, saying so', async (t) => {
  const { dir } = await stateFile(t);
  t.match(refusal(() => SqliteStore.open(join(dir, 'missing', 'state.db'))), /missing\/state\.db: .*directory does not exist/);
});

t.test('a file already open in this process is refused as in use: one store per file', async (t) => {
  const { path } = await stateFile(t);
  const first = SqliteStore.open(path);
  t.teardown(() => first.close());
  t.match(refusal(() => SqliteStore.open(path)), /in use by another permgate process; the embedded store is single-instance/);
  await first.close();
  const again = SqliteStore.open(path);
  t.equal(again.status().ready, true, 'free again once closed');
  await again.close();
  t.same(again.status(), { kind: 'sqlite', ready: false, detail: 'closed' });
});
