// `server.workers` (issue 12): more than one worker without a shared store is refused at load, naming store.redis
// and pointing at the line of server.workers; with store.redis it loads; a reload cannot change it.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { restartOnlyChanges } from '../../src/config/reload-check.js';
import { configProblems as problems } from '../helpers/config-problems.js';

const config = (workers: string, store = ''): string => `server:
  listen: { host: 127.0.0.1, port: 8080 }
  workers: ${workers}
${store}upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

t.test('two workers (or auto) on the embedded store are a config error naming store.redis, at server.workers', async (t) => {
  for (const workers of ['2', 'auto']) {
    const found = problems(config(workers, 'store:\n  path: memory\n'));
    t.equal(found.length, 1, workers);
    t.match(found[0], /^gw\.yaml:3:\d+: server\.workers: more than one worker needs store\.redis/);
  }
  t.equal(problems(config('2')).length, 1, 'the default embedded store too');
});

t.test('one worker needs nothing; workers with store.redis load', async (t) => {
  t.same(problems(config('1')), []);
  t.same(problems(config('2', 'store:\n  redis: redis://127.0.0.1:6379\n')), []);
  t.equal(parseConfig(config('auto', 'store:\n  redis: redis://127.0.0.1:6379\n'), 'gw.yaml').config.server.workers, 'auto');
  t.equal(parseConfig(config('1'), 'gw.yaml').config.server.workers, 1);
});

t.test('a bad count is refused by the schema; a reload cannot change the count', async (t) => {
  t.match(problems(config('0', 'store:\n  redis: redis://127.0.0.1:6379\n')).join('\n'), /server\.workers/);
  const redis = 'store:\n  redis: redis://127.0.0.1:6379\n';
  const now = parseConfig(config('2', redis), 'gw.yaml');
  const next = parseConfig(config('3', redis), 'gw.yaml');
  t.match(restartOnlyChanges(now.config, next).map((issue) => issue.keyPath).join(','), /server\.workers/);
});
