// `permgate lint` as an operator runs it: text and --json, exit 1 on an error, 0 on warnings only, 2 when the
// config does not load; and the shipped config lints with no error.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/spawn-cli.js';

async function configFile(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-lint-'));
  const file = join(dir, 'gw.yaml');
  await writeFile(file, `store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n${body}`);
  return file;
}

const withError = `routes:
  - { path: /x/:id, upstream: svc, methods: [GET], permission: x:read }
  - { path: /x/:key, upstream: svc, methods: [POST], permission: x:write }
rbac:
  subjects:
    ann: { grants: [x:read, old:thing] }
`;

t.test('an error: exit 1, one line per finding as file:line: key: severity rule: message, then the summary', async (t) => {
  const file = await configFile(withError);
  const run = await runCli(['lint', '-c', file]);
  t.equal(run.code, 1, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.equal(lines[0], `${file}:6: routes[1].path: error routes-differ-only-in-parameter-names: /x/:key and routes[0] (/x/:id) are the same route under other parameter names; merge them, or write the same names`);
  t.match(run.stdout, `${file}:6: routes[1].permission: warning code-never-granted: /x/:key requires x:write`);
  t.match(run.stdout, `${file}:9: rbac.subjects.ann.grants[1]: warning grant-matches-no-route: subject ann is granted old:thing`);
  t.equal(lines.at(-1), '1 error, 2 warnings');
});

t.test('--json: { findings, errors, warnings } with rule, severity and place', async (t) => {
  const file = await configFile(withError);
  const run = await runCli(['lint', '-c', file, '--json']);
  t.equal(run.code, 1);
  const report = JSON.parse(run.stdout) as { findings: { rule: string; severity: string; place: { keyPath?: string } }[]; errors: number; warnings: number };
  t.equal(report.errors, 1);
  t.equal(report.warnings, 2);
  t.same(report.findings.map((f) => [f.severity, f.rule, f.place.keyPath]), [
    ['error', 'routes-differ-only-in-parameter-names', 'routes[1].path'],
    ['warning', 'code-never-granted', 'routes[1].permission'],
    ['warning', 'grant-matches-no-route', 'rbac.subjects.ann.grants[1]'],
  ]);
});

t.test('warnings only: exit 0; a clean map: exit 0 and "0 errors, 0 warnings"', async (t) => {
  const warned = await runCli(['lint', '-c', await configFile(`routes:\n  - { path: /x, upstream: svc, permission: x:read }\n`)]);
  t.equal(warned.code, 0);
  t.match(warned.stdout, /warning code-never-granted/);
  t.match(warned.stdout, /0 errors, 1 warning\n$/);
  const clean = await runCli(['lint', '-c', await configFile(`routes:\n  - { path: /x, upstream: svc, permission: x:read }\nrbac:\n  subjects:\n    ann: { grants: [x:read] }\n`)]);
  t.equal(clean.code, 0);
  t.equal(clean.stdout, '0 errors, 0 warnings\n');
});

t.test('a config that does not load: exit 2 with the loader\'s file:line message, as check', async (t) => {
  const run = await runCli(['lint', '-c', await configFile(`routes:\n  - { path: "/admin**", upstream: svc, permission: a:b }\n`)]);
  t.equal(run.code, 2);
  t.match(run.stderr, /gw\.yaml:5:\d+: routes\[0\]\.path: .*stand for a whole segment/);
});

t.test('the shipped gateway.config.yaml: no error, and exactly the warnings its example policy is known to have', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-lint-shipped-'));
  // A state file that does not exist yet: lint reads the store only, so it neither creates nor locks one.
  const run = await runCli(['lint', '-c', 'gateway.config.yaml', '--json'], { PERMGATE_JWT_SECRET: 'q'.repeat(48), PERMGATE_STATE_FILE: join(dir, 'state.db') });
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { findings: { rule: string; message: string }[]; errors: number };
  t.equal(report.errors, 0);
  t.same(report.findings.map((f) => f.rule).sort(), ['grant-matches-no-route', 'role-held-by-nobody', 'role-held-by-nobody']);
  t.match(report.findings.find((f) => f.rule === 'grant-matches-no-route')!.message, /role viewer is granted channel:read:\*/);
  const { existsSync } = await import('node:fs');
  t.notOk(existsSync(join(dir, 'state.db')), 'lint created no state file');
});
