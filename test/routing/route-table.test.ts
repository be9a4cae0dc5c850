// Route matching: precedence segment by segment, module routes, methods, and scoped permission codes.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';
import { normalizeTarget } from '../../src/routing/normalize-path.js';
import type { RouteTable } from '../../src/routing/route-table.js';

function table(routes: string, server = ''): RouteTable {
  return parseConfig(`${server}upstreams:\n  s: { url: "http://127.0.0.1:9" }\nroutes:\n${routes}`, 'r.yaml', {}).routes;
}

function match(routes: RouteTable, method: string, path: string, caseInsensitive = false): { pattern: string; codes: string[] } | string {
  try {
    const found = routes.match(method, normalizeTarget(path, { caseInsensitive }));
    return { pattern: found.route.pattern, codes: [...found.permissions] };
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
}

t.test('precedence is static > :param > * > ** segment by segment, and a failing branch gives way', async (t) => {
  const routes = table(`
  - { path: /a/b/c, upstream: s, permission: static }
  - { path: /a/:x/d, upstream: s, permission: "param:{x}" }
  - { path: /a/*/e, upstream: s, permission: star }
  - { path: /a/**, upstream: s, permission: module }
`);
  t.same(match(routes, 'GET', '/a/b/c'), { pattern: '/a/b/c', codes: ['static'] });
  t.same(match(routes, 'GET', '/a/b/d'), { pattern: '/a/:x/d', codes: ['param:b'] }, 'static b fails at d: backtrack to :x');
  t.same(match(routes, 'GET', '/a/zz/e'), { pattern: '/a/*/e', codes: ['star'] });
  t.same(match(routes, 'GET', '/a/zz/f/g'), { pattern: '/a/**', codes: ['module'] });
  t.same(match(routes, 'GET', '/a'), { pattern: '/a/**', codes: ['module'] }, '** covers its own prefix');
});

t.test('a module route covers what lies below it unless a more specific route exists', async (t) => {
  const routes = table(`
  - { path: /admin/**, upstream: s, permission: admin:access }
  - { path: /admin/users/**, upstream: s, permission: admin:users }
  - { path: /admin/order/getInfo, upstream: s, permission: order:info }
`);
  t.same(match(routes, 'GET', '/admin/users/7'), { pattern: '/admin/users/**', codes: ['admin:users'] });
  t.same(match(routes, 'GET', '/admin/orders/7'), { pattern: '/admin/**', codes: ['admin:access'] });
  t.same(match(routes, 'GET', '/admin/order/getInfo'), { pattern: '/admin/order/getInfo', codes: ['order:info'] });
  t.same(match(routes, 'GET', '/admin/order/getInfo/x'), { pattern: '/admin/**', codes: ['admin:access'] }, 'an exact route covers nothing below it');
});

t.test('matching is segment-bounded, trailing slashes match the same route, and unmatched paths are 404', async (t) => {
  const routes = table(`
  - { path: /test/**, upstream: s, auth: none }
  - { path: /exact, upstream: s, auth: none }
`);
  t.equal(match(routes, 'GET', '/test-1'), 'PG_ROUTE_NOT_FOUND');
  t.equal(match(routes, 'GET', '/testing/x'), 'PG_ROUTE_NOT_FOUND');
  t.same(match(routes, 'GET', '/exact/'), { pattern: '/exact', codes: [] });
  t.equal(match(routes, 'GET', '/exact/more'), 'PG_ROUTE_NOT_FOUND');
  t.equal(match(routes, 'GET', '/'), 'PG_ROUTE_NOT_FOUND');
});

t.test('methods: per-method codes, HEAD with GET, 405 with Allow, and a specific route never falls back', async (t) => {
  const routes = table(`
  - path: /api/orders/**
    upstream: s
    permission: { GET: order:read, POST: order:write, DELETE: order:delete }
  - path: /api/orders/special
    upstream: s
    methods: [POST]
    permission: order:special
`);
  t.same(match(routes, 'GET', '/api/orders/1'), { pattern: '/api/orders/**', codes: ['order:read'] });
  t.same(match(routes, 'HEAD', '/api/orders/1'), { pattern: '/api/orders/**', codes: ['order:read'] });
  t.same(match(routes, 'DELETE', '/api/orders/1'), { pattern: '/api/orders/**', codes: ['order:delete'] });
  try {
    routes.match('PUT', normalizeTarget('/api/orders/1', { caseInsensitive: false }));
    t.fail('PUT should be refused');
  } catch (err) {
    t.equal((err as GatewayError).code, 'PG_METHOD_NOT_ALLOWED');
    t.same((err as GatewayError).headers, { allow: 'GET, POST, DELETE, HEAD' });
  }
  t.equal(match(routes, 'GET', '/api/orders/special'), 'PG_METHOD_NOT_ALLOWED', 'the specific route owns its path');
  t.equal(match(routes, 'PROPFIND', '/api/orders/1'), 'PG_METHOD_NOT_ALLOWED');
  const listed = table(`  - { path: /r, upstream: s, methods: [GET], permission: r:read }\n`);
  t.same(match(listed, 'HEAD', '/r'), { pattern: '/r', codes: ['r:read'] }, 'HEAD comes with GET even when methods are listed');
});

t.test('scoped codes are filled from the path; values that would change a code are refused', async (t) => {
  const routes = table(`
  - { path: "/api/channels/:channelId/delete", upstream: s, methods: [POST], permission: "channel:delete:{channelId}" }
  - path: /api/servers/:serverId
    upstream: s
    permission: "server:read:{serverId}"
    params: { serverId: "[0-9]+" }
`);
  t.same(match(routes, 'POST', '/api/channels/42/delete'), { pattern: '/api/channels/:channelId/delete', codes: ['channel:delete:42'] });
  t.same(match(routes, 'POST', '/api/channels/43/delete'), { pattern: '/api/channels/:channelId/delete', codes: ['channel:delete:43'] });
  for (const value of ['5:6', '*', 'a%20b', '%7Bx%7D', '5%3A6', 'a,b']) {
    t.equal(match(routes, 'POST', `/api/channels/${value}/delete`), 'PG_PARAM_INVALID', `${value} cannot widen the code`);
  }
  t.same(match(routes, 'GET', '/api/servers/7'), { pattern: '/api/servers/:serverId', codes: ['server:read:7'] });
  t.equal(match(routes, 'GET', '/api/servers/abc'), 'PG_PARAM_INVALID', 'the route grammar refuses it');
});

t.test('caseInsensitive paths match patterns in any case', async (t) => {
  const routes = table(`  - { path: /Admin/**, upstream: s, permission: admin:access }\n`, 'server:\n  paths: { caseInsensitive: true }\n');
  t.same(match(routes, 'GET', '/ADMIN/x', true), { pattern: '/Admin/**', codes: ['admin:access'] });
});

t.test('10,000 routes build and each matches its own paths', async (t) => {
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) lines.push(`  - { path: "/m${i % 100}/r${i}/:id", upstream: s, permission: "m:r${i}:{id}" }`);
  const routes = table(lines.join('\n') + '\n');
  t.equal(routes.routes.length, 10_000);
  for (const i of [0, 1, 4_999, 9_999]) t.same(match(routes, 'GET', `/m${i % 100}/r${i}/9`), { pattern: `/m${i % 100}/r${i}/:id`, codes: [`m:r${i}:9`] });
  t.equal(match(routes, 'GET', '/m1/r2/9'), 'PG_ROUTE_NOT_FOUND', 'r2 lives under m2, not m1');
});
