// A started gateway logs each lint finding of its config as a warning (level 40, with rule and where) and serves
// anyway, even with an error-level finding; a reload (SIGHUP) lints the new config the same way.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../helpers/private-redis.js';
import { cli, root } from '../helpers/spawn-cli.js';

interface LogLine {
  level: number;
  msg: string;
  rule?: string;
  severity?: string;
  where?: string;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

t.test('start logs a level-40 line per finding and still serves; SIGHUP lints the reloaded config', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-lint-start-'));
  const file = join(dir, 'gw.yaml');
  const head = `server:\n  listen: { host: 127.0.0.1, port: \${PORT} }\n  admin: { host: 127.0.0.1, port: \${ADMIN_PORT} }\n  drainDelay: 0s\nstore: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9" }\n`;
  await writeFile(file, `${head}routes:\n  - { path: /x/:id, upstream: svc, permission: x:read }\n  - { path: /x/*, upstream: svc, permission: x:other }\n`);
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { cwd: root, env: { ...process.env, PORT: String(port), ADMIN_PORT: String(adminPort) } });
  t.teardown(() => void child.kill('SIGKILL'));
  const lines: LogLine[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part) as LogLine);
  });
  await until(() => lines.some((l) => l.msg === 'permgate listening'), 'permgate listening');
  const shadowed = lines.find((l) => l.rule === 'route-shadowed');
  t.match(shadowed, { level: 40, severity: 'error', where: `${file}:10 routes[1].path`, msg: /lint: \/x\/\* can never be reached/ });
  t.ok(lines.some((l) => l.level === 40 && l.rule === 'code-never-granted'));
  t.equal((await fetch(`http://127.0.0.1:${port}/x/1`)).status, 401, 'an error-level finding does not stop the start: the gateway serves');

  await writeFile(file, `${head}routes:\n  - { path: /y, upstream: svc, permission: y:read }\nrbac:\n  roles:\n    spare: { grants: [y:read] }\n`);
  const before = lines.length;
  child.kill('SIGHUP');
  await until(() => lines.slice(before).some((l) => l.msg === 'config reloaded'), 'config reloaded');
  await until(() => lines.slice(before).some((l) => l.rule === 'role-held-by-nobody'), 'the reload\'s lint line');
  t.notOk(lines.slice(before).some((l) => l.rule === 'route-shadowed'), 'the old config\'s findings are not repeated');
  child.kill('SIGTERM');
});
