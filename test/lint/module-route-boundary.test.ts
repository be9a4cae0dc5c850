// Module routes are segment-bounded by their syntax: `**` is a whole segment, so `/admin**` (which would also cover
// `/adminx`) cannot be written; the loader refuses it, and `/admin/**` never matches `/adminx`.
import t from 'tap';
import { ConfigError } from '../../src/config/config-error.js';
import { isGatewayError } from '../../src/errors.js';
import { normalizeTarget } from '../../src/routing/normalize-path.js';
import { lintConfig } from '../../src/lint/lint.js';
import { loadYaml } from '../helpers/lint-of.js';

t.test('a module prefix without a segment boundary is refused at load, naming file, line and key', async (t) => {
  for (const path of ['/admin**', '/admin*', '/admin/x**']) {
    const thrown = t.throws(() => loadYaml(`routes:\n  - { path: "${path}", upstream: svc, permission: admin:access }\n`)) as unknown;
    t.ok(thrown instanceof ConfigError, path);
    t.match((thrown as ConfigError).issues[0], { keyPath: 'routes[0].path', location: { line: 5 }, message: /stand for a whole segment/ });
  }
});

t.test('/admin/** covers /admin and below it, never /adminx, and lints clean', async (t) => {
  const loaded = loadYaml(`routes:\n  - { path: /admin/**, upstream: svc, permission: admin:access }\nrbac:\n  subjects:\n    ann: { grants: [admin:access] }\n`);
  const match = (path: string): string => {
    try {
      return loaded.routes.match('GET', normalizeTarget(path, { caseInsensitive: false })).route.pattern;
    } catch (err) {
      if (isGatewayError(err)) return err.code;
      throw err;
    }
  };
  t.equal(match('/admin'), '/admin/**');
  t.equal(match('/admin/users/1'), '/admin/**');
  t.equal(match('/adminx'), 'PG_ROUTE_NOT_FOUND');
  t.equal(match('/admin-x/1'), 'PG_ROUTE_NOT_FOUND');
  t.same(lintConfig(loaded), []);
});
