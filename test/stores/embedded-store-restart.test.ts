// The embedded store keeps its state across a crash: a real `permgate start` child process on a SQLite file is killed
// with SIGKILL (no drain, no close) and started again on the same file. And the file is single-instance: a second
// process on it is refused at start with a coded error.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { freePort } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { stateFile } from '../helpers/state-file.js';
import { hsAuth, token } from '../helpers/tokens.js';

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const ADMIN = 'embedded-store-admin-token-0123456789abcdef';

function config(port: number, adminPort: number, upstream: string, path: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: ${port} }
  admin: { host: 127.0.0.1, port: ${adminPort}, token: ${ADMIN} }
store:
  path: ${path}
${hsAuth()}
rbac:
  tokenScopes: true
  roles:
    viewer: { grants: [order:read] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: order:read }
`;
}

/**
 * `permgate start` on `file` as a child process the test can SIGKILL (no drain, no close) and start again. Started
 * means: it logged `permgate listening`. Up to 30 s, since the machine's cores are shared with other test files.
 */
function cliProcess(file: string): { start(): Promise<string>; kill(): Promise<void> } {
  let child: ChildProcess | undefined;
  return {
    async start() {
      const started = spawn(process.execPath, [cli, 'start', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = started;
      let seen = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`permgate did not start within 30 s: ${seen.slice(-500)}`)), 30_000);
        started.once('exit', (code) => reject(new Error(`permgate exited with ${code}: ${seen.slice(-500)}`)));
        started.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('permgate listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      return seen;
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
}

/** A config file in a temp dir of its own, ports chosen, and a gateway process on it that the test can SIGKILL. */
async function fixture(t: Test, statePath = 'state.db') {
  const upstream = await startRecordingUpstream();
  const { dir } = await stateFile(t);
  const [port, adminPort] = [await freePort(), await freePort()];
  const file = join(dir, 'gateway.config.yaml');
  await writeFile(file, config(port, adminPort, upstream.url, statePath));
  const gateway = cliProcess(file);
  t.teardown(async () => {
    await gateway.kill();
    await upstream.close();
  });
  const base = `http://127.0.0.1:${port}`;
  const adminBase = `http://127.0.0.1:${adminPort}`;
  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${adminBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const get = async (bearer: string): Promise<number> => (await fetch(`${base}/api/orders/1`, { headers: { authorization: `Bearer ${bearer}` } })).status;
  return { dir, file, gateway, admin, get };
}

t.test('after SIGKILL and a restart on the same file, a revoked token is still refused, a granted binding still holds and the audit entries are still there', async (t) => {
  const { gateway, admin, get } = await fixture(t);
  await gateway.start();
  const stolen = await token({ sub: 'mallory', scope: undefined, jti: 'stolen-1' }, { ttlSeconds: 3600 });
  const carol = await token({ sub: 'carol', scope: undefined }, { ttlSeconds: 3600 });
  t.equal(await get(carol), 403, 'carol holds nothing yet');

  t.equal((await admin('POST', '/admin/revocations', { jti: 'stolen-1' })).status, 201);
  t.equal((await admin('POST', '/admin/rbac/subjects/carol/roles', { role: 'viewer' })).status, 201);
  t.equal((await admin('POST', '/admin/rbac/subjects/mallory/roles', { role: 'viewer' })).status, 201);
  t.equal(await get(stolen), 401, 'the stolen token is refused');
  t.equal(await get(carol), 200, 'carol holds viewer');

  await gateway.kill(); // SIGKILL right after the acknowledgements: nothing is flushed or closed
  await gateway.start();

  t.equal(await get(stolen), 401, 'the revoked token is still refused after the crash');
  t.equal(await get(carol), 200, 'the binding still holds after the crash');
  const audit = await admin('GET', '/admin/audit?kind=change');
  t.equal(audit.status, 200);
  t.same(
    audit.json.entries.map((e: { action: string; target: string }) => `${e.action} ${e.target}`),
    ['rbac.binding.add mallory', 'rbac.binding.add carol', 'revocation.token stolen-1'],
    'the audit entries are still there, newest first',
  );
  t.match(audit.json.entries[2], { kind: 'change', actor: 'admin-token', after: { jti: 'stolen-1' } });
  t.same((await admin('GET', '/readyz')).json.store, { kind: 'sqlite', ready: true }, 'readiness names the embedded store');
});

t.test('a second process on the same state file is refused at start with PG_STORE_FILE_UNUSABLE, and the first keeps serving', async (t) => {
  const { file, gateway, admin } = await fixture(t);
  await gateway.start();
  const second = spawn(process.execPath, [cli, 'start', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => void second.kill('SIGKILL'));
  let stderr = '';
  second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
  t.equal(code, 1, 'the second process exits 1');
  t.match(stderr, /PG_STORE_FILE_UNUSABLE: .*state\.db: in use by another permgate process; the embedded store is single-instance/);
  t.notMatch(stderr, /\n\s+at /, 'a sentence, not a stack trace');
  t.equal((await admin('GET', '/readyz')).status, 200, 'the first one is untouched');
});

t.test('store.path: memory starts with a warning that nothing is kept, and writes no state file', async (t) => {
  const { dir, gateway } = await fixture(t, 'memory');
  const log = await gateway.start();
  t.match(log, /"level":40.*store\.path is memory: .*lost on restart/);
  t.same((await readdir(dir)).sort(), ['gateway.config.yaml'], 'no state file');
});
