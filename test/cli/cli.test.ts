// The permgate command as an operator uses it: a real child process, real ports, real signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../helpers/private-redis.js';
import { cli, root, runCli } from '../helpers/spawn-cli.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

const run = runCli;

async function waitFor(url: string, child: ChildProcess, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

t.test('--help, --version and usage errors', async (t) => {
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /permgate start -c FILE/);
  t.match(help.stdout, /permgate check -c FILE/);
  t.match(help.stdout, /permgate token/);
  const version = await run(['--version']);
  t.equal(version.stdout.trim(), (await import('../../package.json', { with: { type: 'json' } })).default.version);
  t.equal((await run([])).code, 2, 'no command is a usage error');
  t.equal((await run(['frobnicate'])).code, 2);
});

t.test('check prints the route table of the shipped config', async (t) => {
  const result = await run(['check', '-c', 'gateway.config.yaml'], { PERMGATE_JWT_SECRET: 'x'.repeat(40) });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /gateway\.config\.yaml: ok, 4 routes/);
  t.match(result.stdout, /PATTERN\s+METHODS\s+PERMISSION\s+UPSTREAM\s+RATE LIMITS\s+FLAGS/);
  t.match(result.stdout, /\/api\/channels\/:channelId\/delete\s+POST\s+channel:delete:\{channelId\}\s+channels \(http:\/\/127\.0\.0\.1:9002\)\s+user\+route=5\/60s,ip=10\/60s \+defaults\s+auth,sensitive/);
  t.match(result.stdout, /\/api\/orders\/\*\*\s+GET,POST,DELETE,HEAD\s+GET,HEAD=order:read POST=order:write DELETE=order:delete/);
  t.match(result.stdout, /\/public\/\*\*\s+\*\s+\(public\)/);
});

t.test('check names the routes in shadow above the table, and flags them in it; a map with none says nothing of shadow', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'shadow.yaml');
  await writeFile(
    file,
    [
      'server:\n  listen: { host: 127.0.0.1, port: 0 }',
      'auth:\n  jwt: { algorithms: [HS256], issuer: i, audience: a, secret: "0123456789abcdef0123456789abcdef0123" }',
      'shadow: { stages: [authorize] }',
      'upstreams:\n  svc: { url: "http://127.0.0.1:1" }',
      'routes:',
      '  - { path: /orders/**, upstream: svc, permission: order:read }',
      '  - { path: /admin/**, upstream: svc, permission: admin:use, shadow: [rate-limit, authorize] }',
      '  - { path: /billing/**, upstream: svc, permission: bill:read, shadow: false }',
      '',
    ].join('\n'),
  );
  const result = await run(['check', '-c', file]);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /2 of 3 routes in SHADOW mode/);
  t.match(result.stdout, /^  \/orders\/\*\*: authorize$/m);
  t.match(result.stdout, /^  \/admin\/\*\*: rate-limit, authorize$/m);
  t.notMatch(result.stdout, /^  \/billing/m, 'a route that sets shadow: false enforces');
  t.match(result.stdout, /\/admin\/\*\*\s.*auth,SHADOW=rate-limit\+authorize/);
  const plain = await run(['check', '-c', 'gateway.config.yaml'], { PERMGATE_JWT_SECRET: 'x'.repeat(40) });
  t.notMatch(plain.stdout, /SHADOW/);
});

t.test('a broken file: check and start exit 2 with file:line:column: key: message, and nothing listens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  const file = join(dir, 'broken.yaml');
  const port = await freePort();
  await writeFile(file, `server:\n  listen: { host: 127.0.0.1, port: ${port} }\nupstreams:\n  orders: { url: "http://127.0.0.1:1" }\nroutes:\n  - path: /a\n    upstream: order\n    auth: none\n`);
  const check = await run(['check', '-c', file]);
  t.equal(check.code, 2);
  t.match(check.stderr, `${file}:7:15: routes[0].upstream: names no upstream: "order" (did you mean "orders"?)`);
  const start = await run(['start', '-c', file]);
  t.equal(start.code, 2);
  t.match(start.stderr, /invalid configuration/);
  await t.rejects(fetch(`http://127.0.0.1:${port}/a`), 'nothing listens');
});

t.test('start serves a valid config, answers /healthz on the admin port, and exits 0 on SIGTERM', async (t) => {
  const upstream = await startRecordingUpstream();
  t.teardown(() => upstream.close());
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  const file = join(dir, 'gw.yaml');
  await writeFile(file, `server:\n  listen: { host: 127.0.0.1, port: \${PORT} }\n  admin: { host: 127.0.0.1, port: \${ADMIN_PORT} }\n  logLevel: warn\n  drainDelay: 0s\nupstreams:\n  svc: { url: "${upstream.url}" }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`);
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { cwd: root, env: { ...process.env, PORT: String(port), ADMIN_PORT: String(adminPort) }, stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${adminPort}/healthz`, child);
  const res = await fetch(`http://127.0.0.1:${port}/public/x`);
  t.equal(res.status, 200);
  t.equal(upstream.requests.at(-1)!.target, '/public/x');
  child.kill('SIGTERM');
  t.equal(await exited(child), 0, 'a clean exit after draining');
});

t.test('the quick start: start --example-backends on the shipped config, then 200 public, 401 without a token, RBAC from the shipped policy', async (t) => {
  const [port, adminPort, orders, channels] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    PERMGATE_HOST: '127.0.0.1', PERMGATE_PORT: String(port), PERMGATE_ADMIN_PORT: String(adminPort),
    ORDERS_URL: `http://127.0.0.1:${orders}`, CHANNELS_URL: `http://127.0.0.1:${channels}`, PERMGATE_JWT_SECRET: 'q'.repeat(48),
    // The shipped config keeps its state beside itself; a developer's own `npm start` may hold that file's lock.
    PERMGATE_STATE_FILE: join(await mkdtemp(join(tmpdir(), 'permgate-quickstart-')), 'state.db'),
    // SIGTERM ends it at once rather than after the shipped drain delay (sigterm-drain-delay.test.ts covers that).
    PERMGATE_DRAIN_DELAY: '0s',
  };
  const child = spawn(process.execPath, [cli, 'start', '-c', 'gateway.config.yaml', '--example-backends'], { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  await waitFor(`http://127.0.0.1:${adminPort}/readyz`, child);
  const pub = await fetch(`http://127.0.0.1:${port}/public/hello`);
  t.equal(pub.status, 200);
  t.match(await pub.json(), { upstream: 'orders', path: '/public/hello' });
  const anonymous = await fetch(`http://127.0.0.1:${port}/api/orders/1`);
  t.equal(anonymous.status, 401);
  t.match(await anonymous.json(), { error: { code: 'PG_TOKEN_MISSING' } });
  const token = await run(['token', '-c', 'gateway.config.yaml', '--sub', 'alice'], env);
  t.equal(token.code, 0, token.stderr);
  const alice = { authorization: `Bearer ${token.stdout.trim()}` };
  const allowed = await fetch(`http://127.0.0.1:${port}/api/orders/1`, { headers: alice });
  t.equal(allowed.status, 200, 'alice is an editor, who inherits order:read from viewer');
  t.match(await allowed.json(), { headers: { 'x-auth-subject': 'alice' } });
  t.equal((await fetch(`http://127.0.0.1:${port}/api/orders/1`, { method: 'POST', headers: alice })).status, 200, 'editor grants order:write');
  const forbidden = await fetch(`http://127.0.0.1:${port}/api/orders/1`, { method: 'DELETE', headers: alice });
  t.equal(forbidden.status, 403);
  t.match(await forbidden.json(), { error: { code: 'PG_FORBIDDEN', detail: 'missing permission order:delete' } });
  const bob = { authorization: `Bearer ${(await run(['token', '-c', 'gateway.config.yaml', '--sub', 'bob'], env)).stdout.trim()}` };
  t.equal((await fetch(`http://127.0.0.1:${port}/api/channels/42/delete`, { method: 'POST', headers: bob })).status, 200, 'bob may delete channel 42');
  t.equal((await fetch(`http://127.0.0.1:${port}/api/channels/43/delete`, { method: 'POST', headers: bob })).status, 403, 'and not channel 43');
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
});

t.test('explain prints the decision from the static policy, with the roles and grants behind it', async (t) => {
  const env = { PERMGATE_JWT_SECRET: 'q'.repeat(48) };
  const allowed = await run(['explain', '-c', 'gateway.config.yaml', '--sub', 'alice', 'GET', '/api/orders/7'], env);
  t.equal(allowed.code, 0, allowed.stderr);
  t.match(allowed.stdout, /GET \/api\/orders\/7 +→ +ALLOW/);
  t.match(allowed.stdout, /route +\/api\/orders\/\*\* → orders/);
  t.match(allowed.stdout, /granted by order:read +← role viewer \(inherited through editor, bound in config\)/);
  const denied = await run(['explain', '-c', 'gateway.config.yaml', '--sub', 'bob', 'POST', '/api/channels/43/delete'], env);
  t.equal(denied.code, 3, 'a denial exits 3');
  t.match(denied.stdout, /channel:delete:43: MISSING/);
  const auditor = await run(['explain', '-c', 'gateway.config.yaml', '--sub', 'carol', '--roles', 'auditor', '--json', 'GET', '/admin/users/x'], env);
  // The shipped config maps no roles claim: a role named in a token counts for nothing, so --roles is refused
  // (test/cli/subject-arguments.test.ts explains with a mapped claim).
  t.equal(auditor.code, 2, 'token roles need auth.jwt.claims.roles');
  t.match(auditor.stderr, /auth\.jwt\.claims\.roles/);
  const unknown = await run(['explain', '-c', 'gateway.config.yaml', '--sub', 'alice', 'GET', '/nowhere'], env);
  t.equal(unknown.code, 3);
  t.match(unknown.stdout, /REFUSED \(PG_ROUTE_NOT_FOUND\)/);
  t.equal((await run(['explain', '-c', 'gateway.config.yaml', 'GET', '/x'], env)).code, 2, '--sub is required');
});

t.test('token refuses what it cannot or should not mint', async (t) => {
  const env = { PERMGATE_JWT_SECRET: 'q'.repeat(48) };
  t.equal((await run(['token', '-c', 'gateway.config.yaml'], env)).code, 2, '--sub is required');
  const long = await run(['token', '-c', 'gateway.config.yaml', '--sub', 'a', '--ttl', '30d'], env);
  t.equal(long.code, 2);
  t.match(long.stderr, /maxLifetime/);
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cli-'));
  const { generateKeyPairSync } = await import('node:crypto');
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await writeFile(join(dir, 'k.pem'), pem);
  await writeFile(join(dir, 'pk.yaml'), `auth:\n  jwt:\n    algorithms: [ES256]\n    issuer: i\n    audience: a\n    publicKeys: [{ kid: k1, file: k.pem }]\nupstreams:\n  s: { url: "http://127.0.0.1:1" }\nroutes:\n  - { path: /a, upstream: s, auth: none }\n`);
  const publicOnly = await run(['token', '-c', join(dir, 'pk.yaml'), '--sub', 'a']);
  t.equal(publicOnly.code, 2);
  t.match(publicOnly.stderr, /only public keys/);
});
