// /x/:id and /x/:key are one route to the trie, whatever their names say: an error.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

t.test('/x/:id (GET) and /x/:key (POST) are the same route under other names: an error on the second', async (t) => {
  const findings = findingsOf('routes-differ-only-in-parameter-names', `routes:
  - { path: /x/:id, upstream: svc, methods: [GET], permission: "x:read:{id}" }
  - { path: /x/:key, upstream: svc, methods: [POST], permission: "x:write:{key}" }
`);
  t.equal(findings.length, 1);
  t.match(findings[0], { severity: 'error', place: { line: 6, keyPath: 'routes[1].path' } });
  t.match(findings[0]!.message, /\/x\/:key and routes\[0\] \(\/x\/:id\)/);
});

t.test('one pattern split by methods, and patterns of other shapes, are quiet', async (t) => {
  const findings = findingsOf('routes-differ-only-in-parameter-names', `routes:
  - { path: /x/:id, upstream: svc, methods: [GET], permission: x:read }
  - { path: /x/:id, upstream: svc, methods: [POST], permission: x:write }
  - { path: /x/:id/y, upstream: svc, permission: x:y }
  - { path: /x/*/z, upstream: svc, permission: x:z }
`);
  t.same(findings, []);
});
