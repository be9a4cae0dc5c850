// An imported map serving real traffic: a real gateway runs the routes imported from the petstore document in front
// of a real upstream; a caller reaches exactly the operations whose codes it holds, and the rest is refused before
// the upstream.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { HS_AUTH, token } from '../helpers/tokens.js';
import { fixtureText, importedMap } from './imported-map.js';

t.test('alice, granted pet:getPetById and store:placeOrder, reaches those two operations and nothing else', async (t) => {
  const { yaml } = importedMap(fixtureText('petstore3-openapi.yaml'));
  const { gw, upstream } = await gatewayWithUpstream(
    t,
    (url) => `store: { path: memory }
upstreams:
  svc: { url: "${url}" }
${HS_AUTH}
rbac:
  subjects:
    alice: { grants: [pet:getPetById, store:placeOrder] }
${yaml}`,
  );
  const alice = { authorization: `Bearer ${await token({ sub: 'alice', scope: undefined })}` };
  const send = async (method: string, path: string, headers: Record<string, string> = alice): Promise<number> => (await fetch(gw.url + path, { method, headers })).status;
  t.equal(await send('GET', '/api/v3/pet/12'), 200);
  t.equal(await send('POST', '/api/v3/store/order'), 200);
  t.equal(await send('HEAD', '/api/v3/pet/12'), 200, 'HEAD with GET\'s code');
  t.equal(await send('DELETE', '/api/v3/pet/12'), 403, 'pet:deletePet not held');
  t.equal(await send('GET', '/api/v3/user/login'), 403, 'no security declared: a code is still required');
  t.equal(await send('GET', '/api/v3/user/login', {}), 401);
  t.equal(await send('PATCH', '/api/v3/pet/12'), 405, 'a method the document does not have');
  t.equal(await send('GET', '/api/v3/pets'), 404, 'a path the document does not have');
  t.same(upstream.requests.map((r) => `${r.method} ${r.target}`), ['GET /api/v3/pet/12', 'POST /api/v3/store/order', 'HEAD /api/v3/pet/12']);
});
