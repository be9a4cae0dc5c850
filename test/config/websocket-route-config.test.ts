// `websocket` on a route, its bounds, the WEBSOCKET permission key and rateLimits.connections: what is accepted, what
// the defaults are, and the combinations refused because they would leave a plain GET without a code.
import t from 'tap';
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';

const base = `upstreams:
  chat: { url: "http://127.0.0.1:9001" }
routes:
`;

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'gw.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('websocket: true takes the default bounds; a mapping sets them', async (t) => {
  const { config } = parseConfig(`${base}  - { path: /a/**, upstream: chat, auth: none, websocket: true }
  - { path: /b/**, upstream: chat, auth: none, websocket: { maxPayload: 4kb, pingInterval: 5s } }
  - { path: /c/**, upstream: chat, auth: none }
rateLimits:
  connections: { perSubject: 3 }
`, 'gw.yaml');
  t.same(config.routes[0]!.websocket, { maxPayload: 1024 * 1024, pingInterval: 30_000 });
  t.same(config.routes[1]!.websocket, { maxPayload: 4096, pingInterval: 5_000 });
  t.equal(config.routes[2]!.websocket, undefined);
  t.same(config.rateLimits!.connections, { perSubject: 3, perAddress: undefined });
});

t.test('WEBSOCKET needs a websocket route, and a websocket route needs a GET code', async (t) => {
  const notWebsocket = issuesOf(`${base}  - { path: /a/**, upstream: chat, permission: { GET: a:read, WEBSOCKET: a:join } }\n`);
  t.match(notWebsocket, [{ keyPath: 'routes[0].permission.WEBSOCKET', message: /only a route with `websocket`/ }]);
  const noGet = issuesOf(`${base}  - { path: /a/**, upstream: chat, permission: { POST: a:write, WEBSOCKET: a:join }, websocket: true }\n`);
  t.match(noGet, [{ keyPath: 'routes[0].permission', message: /needs a code for GET/ }]);
  const noGetMethod = issuesOf(`${base}  - { path: /a/**, upstream: chat, methods: [POST], permission: a:write, websocket: true }\n`);
  t.match(noGetMethod, [{ keyPath: 'routes[0].methods', message: /must accept GET/ }]);
});
