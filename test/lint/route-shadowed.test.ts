// A route the trie never chooses (here `*` beside `:param` at the same depth) is an error; one reachable somewhere is not.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

t.test('/a/* beside /a/:x can never be reached: an error naming the route that takes its requests', async (t) => {
  const findings = findingsOf('route-shadowed', `routes:
  - { path: /a/:x, upstream: svc, permission: a:read }
  - { path: /a/*, upstream: svc, permission: a:other }
`);
  t.equal(findings.length, 1);
  t.match(findings[0], { severity: 'error', place: { kind: 'config', file: 'lint.yaml', line: 6, keyPath: 'routes[1].path' } });
  t.match(findings[0]!.message, /\/a\/\* can never be reached: .*routes\[0\] \(\/a\/:x\)/);
});

t.test('a module route whose every probe lands on a more specific one for another method: refused (405) counts as taken', async (t) => {
  const findings = findingsOf('route-shadowed', `routes:
  - { path: /x/:id/**, upstream: svc, methods: [GET], permission: x:read }
  - { path: /x/*/**, upstream: svc, methods: [POST], permission: x:write }
`);
  t.equal(findings.length, 1);
  t.match(findings[0], { severity: 'error', place: { keyPath: 'routes[1].path' } });
  t.match(findings[0]!.message, /405/);
});

t.test('routes reachable somewhere are quiet: a static beside a param, a module root beside a param below it', async (t) => {
  const findings = findingsOf('route-shadowed', `routes:
  - { path: /a/b, upstream: svc, permission: a:b }
  - { path: /a/:x, upstream: svc, permission: a:read }
  - { path: /m/**, upstream: svc, permission: m:any }
  - { path: /m/:id, upstream: svc, methods: [GET], permission: m:read }
`);
  t.same(findings, []);
});
