// ${VAR} and ${VAR:-default} come from the environment, inside flow maps too, and can never add YAML structure.
import t from 'tap';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';

const doc = (listen: string): string => `server:
  listen: ${listen}
  admin: { host: 127.0.0.1, port: \${ADMIN_PORT:-9901}, token: \${ADMIN_TOKEN:-} }
upstreams:
  svc: { url: "\${SVC_URL:-http://127.0.0.1:9001}" }
routes:
  - { path: /a, upstream: svc, auth: none }
`;

t.test('defaults apply when a variable is unset or empty; values apply when set', async (t) => {
  const unset = parseConfig(doc('{ port: ${PORT:-8080} }'), 'e.yaml', {}).config;
  t.equal(unset.server.listeners[0]!.port, 8080);
  t.equal(unset.server.admin.token, '');
  t.equal(unset.upstreams.get('svc')!.url.href, 'http://127.0.0.1:9001/');
  const empty = parseConfig(doc('{ port: ${PORT:-8080} }'), 'e.yaml', { PORT: '' }).config;
  t.equal(empty.server.listeners[0]!.port, 8080, ':- takes the default for an empty variable too');
  const set = parseConfig(doc('{ port: ${PORT:-8080} }'), 'e.yaml', { PORT: '9090', ADMIN_TOKEN: 's3cret-of-at-least-32-bytes-0123456', SVC_URL: 'http://10.0.0.1:1' }).config;
  t.equal(set.server.listeners[0]!.port, 9090, 'a numeric string from the environment is a port');
  t.equal(set.server.admin.token, 's3cret-of-at-least-32-bytes-0123456');
  t.equal(set.upstreams.get('svc')!.url.host, '10.0.0.1:1');
});

t.test('an unset variable without a default names the file, line and key', async (t) => {
  try {
    parseConfig(doc('{ port: ${PORT} }'), 'e.yaml', {});
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.match((err as ConfigError).issues[0], { location: { file: 'e.yaml', line: 2 }, keyPath: 'server.listen.port', message: 'environment variable PORT is not set' });
  }
});

t.test('a value from the environment stays one plain string, whatever YAML it holds', async (t) => {
  const { config } = parseConfig(doc('{ port: 1 }'), 'e.yaml', { ADMIN_TOKEN: 'a: b\n- c\n{x: [y]} # padded to 32 bytes' });
  t.equal(config.server.admin.token, 'a: b\n- c\n{x: [y]} # padded to 32 bytes');
});

t.test('$$ is a literal $, and line numbers stay true after substitution', async (t) => {
  const { config } = parseConfig(doc('{ port: 1 }'), 'e.yaml', { ADMIN_TOKEN: 'p$$w-padded-to-32-bytes-0123456789' });
  t.equal(config.server.admin.token, 'p$w-padded-to-32-bytes-0123456789');
  try {
    parseConfig(doc('{ port: ${PORT:-1}, hots: x }'), 'e.yaml', {});
    t.fail('should throw');
  } catch (err) {
    t.match((err as ConfigError).issues[0], { location: { line: 2, column: 31 }, keyPath: 'server.listen.hots', hint: 'did you mean "host"?' });
  }
});
