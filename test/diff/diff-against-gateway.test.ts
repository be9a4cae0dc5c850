// `permgate diff --admin URL` against a real running gateway (`permgate start` in a child process): the policy in force
// comes from its admin API (config roles and subjects as it runs them, plus the store's roles and bindings), the route
// map from the file its /readyz names, and the admin token from PERMGATE_ADMIN_TOKEN.
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/spawn-cli.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';

const TOKEN = 'diff-test-admin-token-0123456789abcdef';

const config = `server:
  listen: { host: 127.0.0.1, port: \${PORT:-0} }
  admin: { host: 127.0.0.1, port: \${ADMIN_PORT:-0}, token: \${PERMGATE_ADMIN_TOKEN:-} }
store: { path: memory }
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /orders/**, upstream: svc, permission: { GET: order:read, POST: order:write, DELETE: order:delete } }
rbac:
  roles:
    viewer: { grants: [order:read] }
    editor: { inherits: [viewer], grants: [order:write] }
  subjects:
    alice: { roles: [editor] }
`;

t.test('a running gateway with store bindings: what reloading a new file would change', async (t) => {
  const gw = await startGatewayProcess(config, { PERMGATE_ADMIN_TOKEN: TOKEN });
  t.teardown(() => gw.close());
  const admin = async (method: string, path: string, body: unknown): Promise<void> => {
    const response = await fetch(gw.adminUrl + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    t.ok(response.ok, `${method} ${path}: ${response.status}`);
  };
  // Only the store knows these: a role made through the admin API and two subjects bound there.
  await admin('PUT', '/admin/rbac/roles/support', { grants: ['order:delete'] });
  await admin('POST', '/admin/rbac/subjects/dave/roles', { role: 'editor' });
  await admin('POST', '/admin/rbac/subjects/erin/roles', { role: 'support', tenant: 't1' });

  const running = join(gw.dir, 'gateway.yaml');
  const next = join(gw.dir, 'next.yaml');
  // editor loses order:write; DELETE is re-coded; support (a store role) is now also defined by the config.
  await writeFile(next, config
    .replace('editor: { inherits: [viewer], grants: [order:write] }', 'editor: { inherits: [viewer] }\n    support: { grants: [order:delete, order:write] }')
    .replace('DELETE: order:delete', 'DELETE: order:admin'));
  const env = { PERMGATE_ADMIN_TOKEN: TOKEN };

  t.test('text: routes from the file the gateway runs, store subjects in the access table, exit 1', async (t) => {
    const run = await runCli(['diff', '-c', next, '--admin', gw.adminUrl], env);
    t.equal(run.code, 1, run.stderr);
    t.equal(run.stdout.split('\n')[0], `permgate diff: ${next} against ${gw.adminUrl} (routes from ${running})`);
    t.match(run.stdout, /~ \/orders\/\*\*\n {6}~ DELETE order:delete → order:admin/);
    t.match(run.stdout, /~ role support \(store → config: now defined by the config\)\n {6}\+ grant order:write/);
    t.match(run.stdout, /~ role editor\n {6}- grant order:write/);
  });

  t.test('--json: every holder, config or store, decided on both sides', async (t) => {
    const run = await runCli(['diff', '-c', next, '--admin', gw.adminUrl, '--json'], env);
    t.equal(run.code, 1, run.stderr);
    const diff = JSON.parse(run.stdout);
    t.same(diff.notes, []);
    t.same(
      diff.access.map((a: { holder: string; tenant?: string; change: string; on: string }) => `${a.holder}@${a.tenant ?? '-'} ${a.change} ${a.on}`),
      [
        'alice@- loses order:write',
        'dave@- loses order:write',
        'erin@t1 gains order:write',
        'erin@t1 loses DELETE /orders/**',
      ],
    );
    t.same(diff.rbac.roles.changed.map((r: { name: string; source: string }) => `${r.name} ${r.source}`), ['editor config', 'support config']);
  });

  t.test('the file the gateway runs, unchanged: exit 0, no changes', async (t) => {
    const copy = join(gw.dir, 'copy.yaml');
    await copyFile(running, copy);
    const run = await runCli(['diff', '-c', copy, '--admin', gw.adminUrl], env);
    t.equal(run.code, 0, run.stdout + run.stderr);
    t.match(run.stdout, /no changes\n$/);
  });

  t.test('NEW is the very file the gateway runs (edited in place): routes are not compared, and the note says why', async (t) => {
    const run = await runCli(['diff', '-c', running, '--admin', gw.adminUrl, '--json'], env);
    const diff = JSON.parse(run.stdout);
    t.equal(diff.routes, null);
    t.match(diff.notes, [/the file being diffed: its route map before the edit is not known/]);
    t.equal(run.code, 0, 'the policy in force is what the file says');
  });

  t.test('a wrong admin token: exit 2 with the admin API\'s refusal, nothing printed on stdout', async (t) => {
    const run = await runCli(['diff', '-c', next, '--admin', gw.adminUrl], { PERMGATE_ADMIN_TOKEN: 'x'.repeat(40) });
    t.equal(run.code, 2);
    t.match(run.stderr, /GET \/admin\/rbac\/roles answered 401 PG_ADMIN_UNAUTHORIZED/);
    t.notMatch(run.stderr, 'x'.repeat(40), 'the token is not echoed');
    t.equal(run.stdout, '');
  });
});
