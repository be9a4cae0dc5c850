// `store.redis` takes a URL, a Sentinel group or a Cluster (issue 12); passwords in the object forms come from ${ENV}
// and never show in a reload's refusal.
import t from 'tap';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { restartOnlyChanges } from '../../src/config/reload-check.js';

const doc = (redis: string): string => `server: { listen: { port: 8080 } }
store:
  redis: ${redis}
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /a, upstream: svc, auth: none }
`;

const SENTINEL = '{ sentinels: [127.0.0.1:26379, "127.0.0.1:26380"], name: mymaster, password: "${REDIS_PASSWORD}", sentinelPassword: "${SENTINEL_PASSWORD:-}" }';

t.test('a Sentinel group is read with its passwords from the environment', async (t) => {
  const { config } = parseConfig(doc(SENTINEL), 'g.yaml', { REDIS_PASSWORD: 'from-the-env' });
  t.same(config.store.redis, { sentinels: ['127.0.0.1:26379', '127.0.0.1:26380'], name: 'mymaster', password: 'from-the-env', sentinelPassword: '' });
});

t.test('a Cluster is read as its seed nodes', async (t) => {
  const { config } = parseConfig(doc('{ cluster: [127.0.0.1:7000, 127.0.0.1:7001] }'), 'g.yaml', {});
  t.same(config.store.redis, { cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] });
});

t.test('the URL form stays as it was', async (t) => {
  t.equal(parseConfig(doc('rediss://user:pw@127.0.0.1:6380'), 'g.yaml', {}).config.store.redis, 'rediss://user:pw@127.0.0.1:6380');
  t.throws(() => parseConfig(doc('http://127.0.0.1'), 'g.yaml', {}), ConfigError);
});

t.test('a sentinel without a port, or a group without a name, is refused with its key', async (t) => {
  for (const [redis, key] of [
    ['{ sentinels: [127.0.0.1], name: m }', 'store.redis.sentinels[0]'],
    ['{ sentinels: [127.0.0.1:26379] }', 'store.redis'],
    ['{ cluster: [] }', 'store.redis'],
  ] as const) {
    try {
      parseConfig(doc(redis), 'g.yaml', {});
      t.fail(`${redis} was accepted`);
    } catch (err) {
      t.ok(err instanceof ConfigError, redis);
      t.ok((err as ConfigError).issues.some((issue) => issue.keyPath.startsWith(key)), `${redis}: ${(err as ConfigError).message}`);
    }
  }
});

t.test('a reload that changes the topology or only a password is refused, without showing the password', async (t) => {
  const current = parseConfig(doc(SENTINEL), 'g.yaml', { REDIS_PASSWORD: 'old-secret' }).config;
  t.same(restartOnlyChanges(current, parseConfig(doc(SENTINEL), 'g.yaml', { REDIS_PASSWORD: 'old-secret' })), [], 'the same group: nothing to refuse');
  const rotated = restartOnlyChanges(current, parseConfig(doc(SENTINEL), 'g.yaml', { REDIS_PASSWORD: 'new-secret' }));
  t.match(rotated, [{ keyPath: 'store.redis', message: /new password/ }]);
  t.notMatch(JSON.stringify(rotated), /old-secret|new-secret/);
  const moved = restartOnlyChanges(current, parseConfig(doc('{ cluster: [127.0.0.1:7000], password: new-secret }'), 'g.yaml', {}));
  t.match(moved, [{ keyPath: 'store.redis' }]);
  t.notMatch(JSON.stringify(moved), /old-secret|new-secret/);
});
