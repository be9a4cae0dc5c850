// 404 path templates: identifier-like segments become {id}, depth and the number of templates are bounded, so a scan
// of random paths costs a fixed amount of memory.
import t from 'tap';
import { NotFoundTemplates, pathTemplate } from '../../src/coverage/not-found-templates.js';

t.test('numbers, UUIDs, long hex, generated keys and overlong segments are {id}; words stay', async (t) => {
  t.equal(pathTemplate(['users', '42', 'orders', '3.5']), '/users/{id}/orders/{id}');
  t.equal(pathTemplate(['obj', '3f2a1c9e-0b7d-4c1e-9a5f-2d6e8b7c4a10']), '/obj/{id}');
  t.equal(pathTemplate(['blob', 'deadbeefdeadbeef01']), '/blob/{id}');
  t.equal(pathTemplate(['k', 'a8Xk2pQ9zR4mT7vW']), '/k/{id}');
  t.equal(pathTemplate(['x', 'a'.repeat(41)]), '/x/{id}');
  t.equal(pathTemplate(['admin', 'getInfo', 'order-list', 'v2']), '/admin/getInfo/order-list/v2');
  t.equal(pathTemplate([]), '/');
  t.equal(pathTemplate(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']), '/a/b/c/d/e/f/g/h/**');
});

t.test('past the cap, new templates are counted as dropped and known ones still count; other methods are OTHER', async (t) => {
  const templates = new NotFoundTemplates(3);
  for (const word of ['a', 'b', 'c', 'd', 'e']) templates.record('GET', [word], 1);
  templates.record('GET', ['a'], 2);
  templates.record('BREW', ['a'], 3);
  t.equal(templates.dropped, 3, 'd, e and BREW /a');
  t.same(templates.since(0).map(({ method, template, count }) => [method, template, count]), [['GET', '/a', 2], ['GET', '/b', 1], ['GET', '/c', 1]]);
  t.same(templates.since(2).map((x) => x.template), ['/a']);
});
