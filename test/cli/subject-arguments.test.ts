// The CLI takes subjects in the data plane's grammar: `permgate token --sub` and `permgate explain --sub` refuse a
// name the gateway would refuse (and accept every one it accepts), and --roles is refused where token roles would
// count for nothing (no auth.jwt.claims.roles).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/src/cli.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const config = (claims: string): string => `
auth:
  jwt:
    algorithms: [HS256]
    issuer: cli-test
    audience: permgate
    secret: "a-cli-test-secret-that-is-at-least-32-bytes"
${claims}
rbac:
  roles: { viewer: { grants: [order:read] } }
  subjects: { "李雷": { roles: [viewer] } }
upstreams:
  svc: { url: "http://127.0.0.1:1" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

t.test('token and explain refuse a subject with edge whitespace or a control character, and accept 李雷', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'gw.yaml');
  await writeFile(file, config(''));
  for (const sub of ['admin ', ' admin', 'ad\u0007min']) {
    const minted = await run(['token', '-c', file, '--sub', sub]);
    t.equal(minted.code, 2, `token --sub ${JSON.stringify(sub)}`);
    t.match(minted.stderr, /--sub is not a valid subject/);
    const explained = await run(['explain', '-c', file, '--sub', sub, 'GET', '/api/x']);
    t.equal(explained.code, 2, `explain --sub ${JSON.stringify(sub)}`);
  }
  const ok = await run(['token', '-c', file, '--sub', '李雷']);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(decodeJwt(ok.stdout.trim()).sub, '李雷');
  t.equal((await run(['explain', '-c', file, '--sub', '李雷', 'GET', '/api/x'])).code, 0, 'bound in the config, allowed');

  const roles = await run(['token', '-c', file, '--sub', 'bob', '--roles', 'viewer']);
  t.equal(roles.code, 2, '--roles without a claims.roles mapping');
  t.match(roles.stderr, /auth\.jwt\.claims\.roles/);
  t.equal((await run(['explain', '-c', file, '--sub', 'bob', '--roles', 'viewer', 'GET', '/api/x'])).code, 2);

  await writeFile(file, config('    claims: { roles: realm_access.roles }'));
  const mapped = await run(['token', '-c', file, '--sub', 'bob', '--roles', 'viewer']);
  t.equal(mapped.code, 0, mapped.stderr);
  t.same((decodeJwt(mapped.stdout.trim()) as { realm_access?: { roles?: string[] } }).realm_access?.roles, ['viewer'], 'written at the mapped claim');
  t.equal((await run(['explain', '-c', file, '--sub', 'bob', '--roles', 'viewer', 'GET', '/api/x'])).code, 0, 'the token role counts once mapped');
});
