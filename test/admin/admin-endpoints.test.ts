// The admin listener serves health, readiness and metrics; the data plane serves none of them.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';

t.test('healthz, readyz and metrics answer on the admin port and are 404 on the data plane', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
upstreams:
  svc: { url: "${url}" }
routes:
  - path: /public/**
    upstream: svc
    auth: none
  - path: /private/**
    upstream: svc
    permission: x:read
`);
  t.same(await (await fetch(`${gw.adminUrl}/healthz`)).json(), { status: 'ok' });
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  t.equal(ready.status, 200);
  t.match(await ready.json(), { status: 'ready', store: { kind: 'memory', ready: true } });
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    t.equal((await fetch(gw.url + path)).status, 404, `${path} is not served on the data plane`);
  }

  await fetch(`${gw.url}/public/a/1?secret=s3cr3t`);
  await fetch(`${gw.url}/public/a/2`);
  await fetch(`${gw.url}/private/x`, { headers: { authorization: 'Bearer s3cr3t' } });
  await fetch(`${gw.url}/nowhere/77`);
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_requests_total\{route="\/public\/\*\*",method="GET",status="200",code=""\} 2/, 'counted by route pattern');
  t.match(metrics, /permgate_requests_total\{route="\/private\/\*\*",method="GET",status="401",code="PG_AUTH_REQUIRED"\} 1/);
  t.match(metrics, /permgate_requests_total\{route="\(none\)",method="GET",status="404",code="PG_ROUTE_NOT_FOUND"\} 4/, "the three admin paths tried on the data plane and /nowhere/77");
  t.match(metrics, /permgate_gateway_duration_seconds_bucket/);
  t.match(metrics, /permgate_upstream_duration_seconds_count\{upstream="svc",outcome="ok"\} 2/);
  t.notMatch(metrics, /\/public\/a\/1|\/nowhere\/77|s3cr3t/, 'no raw path, query or credential in any label');
});
