// A gateway with the console on (admin token and JWT admins), a recording upstream and the alice-and-order-7 policy
// the console tests share; and the console's files built when they are missing or older than their sources.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { CONSOLE_DIST } from '../../src/admin/console/console-assets.js';
import { gatewayWithUpstream, type GatewayUnderTest } from './gateway-under-test.js';
import type { RecordingUpstream } from './recording-upstream.js';
import { hsAuth } from './tokens.js';

export const CONSOLE_ADMIN_TOKEN = 'console-test-admin-token-0123456789abcdef';

export function consoleYaml(upstream: string, admin = `token: ${CONSOLE_ADMIN_TOKEN}, jwt: true`): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, ${admin} }
${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  roles:
    viewer: { grants: ["order:read"] }
    order-admin: { grants: ["order:delete"], inherits: [viewer] }
    console-admin: { grants: ["permgate:admin:*"] }
  subjects:
    alice: { roles: [viewer] }
    jane: { roles: [console-admin] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /orders/:id, upstream: svc, methods: [GET, DELETE], permission: { GET: order:read, DELETE: order:delete } }
  - { path: /health, upstream: svc, auth: none }
  - { path: /reports/**, upstream: svc, permission: report:read, sensitive: true }
  - { path: /beta/**, upstream: svc, permission: beta:use, shadow: [authorize] }
`;
}

function newest(dir: string): number {
  return Math.max(0, ...readdirSync(dir).map((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return stat.isDirectory() ? newest(path) : stat.mtimeMs;
  }));
}

/** Builds dist/console/ (scripts/build-console.mjs) unless it is newer than every file under console/. */
export function ensureConsoleBuilt(): void {
  const root = join(CONSOLE_DIST, '..', '..');
  let built = 0;
  try {
    built = statSync(join(CONSOLE_DIST, 'index.html')).mtimeMs;
  } catch {
    built = 0;
  }
  if (built > 0 && built >= newest(join(root, 'console'))) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-console.mjs')], { stdio: 'inherit' });
}

export async function consoleGateway(t: Test, admin?: string): Promise<{ gw: GatewayUnderTest; upstream: RecordingUpstream }> {
  ensureConsoleBuilt();
  return gatewayWithUpstream(t, (url) => consoleYaml(url, admin));
}

/** Logs in over HTTP as the console's page does; returns the cookie header value and the CSRF token. */
export async function login(adminUrl: string, credential: string, name = 'Jane Ops'): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${adminUrl}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: adminUrl },
    body: JSON.stringify({ credential, name }),
  });
  if (res.status !== 201) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrf: string };
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrf, setCookie };
}
