// The issue's "done when", in a real browser against a real gateway and upstream: "alice says she can't delete order
// 7" → Explain shows the reason → Access grants the role (previewed: the diff, and who gains which code) → Explain
// and the data plane now allow; then a subject revoked on the Revocations page is refused by the data plane, and the
// Audit page shows both changes under the person's name. Every page passes axe-core with no serious or critical
// violation and is captured in docs/console/ for the README. No page breaks its own CSP (no console errors).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { launchBrowser, seriousViolations } from '../helpers/browser.js';
import { consoleGateway } from '../helpers/console-gateway.js';
import { token } from '../helpers/tokens.js';

const SHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));

const { gw, upstream } = await consoleGateway(t);
const browser = await launchBrowser(t);
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
const page = await context.newPage();
const problems: string[] = [];
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('console', (message) => {
  if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) problems.push(`console: ${message.text()}`);
});
/** Polls `check` until it holds (the page redraws on its own after a call answers). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the page never reached the state waited for');
}
const aliceToken = await token({ sub: 'alice' });
const deleteOrder7 = () => fetch(`${gw.url}/orders/7`, { method: 'DELETE', headers: { authorization: `Bearer ${aliceToken}` } });

t.test('a person logs in with their admin JWT and lands on the page they asked for', async (t) => {
  await page.goto(`${gw.adminUrl}/console/explain`);
  t.match(page.url(), /\/console\/login\?next=explain$/, 'no session: the login page, coming back afterwards');
  await page.fill('#credential', await token({ sub: 'jane', scope: undefined }, { ttlSeconds: 3600 }));
  await page.click('button[type=submit]');
  await page.waitForURL(/\/console\/explain$/);
  t.equal(await page.textContent('#who'), 'jane', 'the session is jane\'s');
  const cookies = await context.cookies();
  t.match(cookies, [{ name: 'permgate_console', httpOnly: true, sameSite: 'Strict', path: '/' }]);
  t.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read the session cookie');
});

t.test('Explain shows why alice cannot delete order 7: the route needs order:delete and nothing she holds grants it', async (t) => {
  const before = await deleteOrder7();
  t.equal(before.status, 403, 'the data plane refuses her');
  await page.fill('#x-sub', 'alice');
  await page.selectOption('#x-method', 'DELETE');
  await page.fill('#x-path', '/orders/7');
  await page.click('form button[type=submit]');
  await page.waitForSelector('#decision');
  t.match(await page.textContent('#decision'), /REFUSED \(403\)/);
  const trace = (await page.textContent('#explanation')) ?? '';
  t.match(trace, /\/orders\/:id/, 'the route');
  t.match(trace, /order:delete/, 'the code it requires');
  t.match(trace, /missing/, 'the code is missing');
  t.match(trace, /viewer/, 'the roles she holds');
  t.match(page.url(), /sub=alice&method=DELETE&path=%2Forders%2F7/, 'the question stays in the address');
});

t.test('Access grants alice the order-admin role after a preview of the diff and of who gains which code', async (t) => {
  await page.click('text=Change what alice holds');
  await page.waitForURL(/\/console\/access\?subject=alice$/);
  await page.waitForSelector('#a-value');
  await page.fill('#a-value', 'order-admin');
  await page.click('#a-submit');
  const dialog = page.locator('dialog');
  await dialog.waitFor();
  const preview = (await dialog.textContent()) ?? '';
  t.match(preview, /\+ role order-admin/, 'the change as a diff');
  t.match(preview, /alice.*order:delete.*gains/s, 'alice gains order:delete');
  await page.screenshot({ path: `${SHOTS}access-confirm.png` });
  await page.click('#confirm');
  await page.waitForSelector('.notice.ok');
  t.match(await page.textContent('#subject-detail'), /order-admin/, 'the binding is listed');
});

t.test('Explain and the data plane now allow alice to delete order 7', async (t) => {
  await page.goto(`${gw.adminUrl}/console/explain?sub=alice&method=DELETE&path=/orders/7`);
  await page.waitForSelector('#decision');
  t.match(await page.textContent('#decision'), /ALLOWED/);
  t.match(await page.textContent('#explanation'), /granted by order:delete from role order-admin/);
  const after = await deleteOrder7();
  t.equal(after.status, 200, 'the data plane lets her through');
  t.equal(upstream.requests.at(-1)?.method, 'DELETE', 'and the upstream got the request');
});

t.test('a subject revoked on the Revocations page is refused by the data plane', async (t) => {
  await page.goto(`${gw.adminUrl}/console/revocations`);
  await page.fill('#rv-subject', 'alice');
  await page.click('text=Revoke the subject');
  await page.locator('dialog').waitFor();
  await page.click('#confirm');
  await page.waitForSelector('text=Lift alice');
  const res = await deleteOrder7();
  t.equal(res.status, 401);
  t.match(await res.json(), { error: { code: 'PG_TOKEN_REVOKED' } });
});

t.test('the Audit page shows both changes under the person\'s identity', async (t) => {
  await page.goto(`${gw.adminUrl}/console/audit`);
  await page.waitForSelector('text=Entries, page 1');
  const text = (await page.textContent('#main')) ?? '';
  t.match(text, /jane\s*rbac\.binding\.add\s*alice/);
  t.match(text, /jane\s*revocation\.subject\s*alice/);
  await page.fill('#f-action', 'rbac.binding.add');
  await page.click('text=Filter');
  await until(async () => !/revocation\.subject/.test((await page.textContent('#trail-h >> xpath=..')) ?? ''));
  t.notMatch(await page.textContent('#trail-h >> xpath=..'), /revocation\.subject/, 'the filter applies');
});

/** Each page once it has drawn: the element to wait for. */
const PAGES: [name: string, path: string, ready: string][] = [
  ['overview', '/console/', 'svg.chart polyline'],
  ['routes', '/console/routes', 'text=Route table'],
  ['explain', '/console/explain?sub=bob&method=DELETE&path=/orders/7', '#decision'],
  ['access', '/console/access?subject=alice', '#subject-detail table'],
  ['revocations', '/console/revocations', 'text=Revoked subjects'],
  ['audit', '/console/audit', 'text=Entries, page 1'],
];

t.test('every page passes axe-core with no serious or critical violation, and is captured in docs/console/', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  // Traffic while the overview draws its chart (allowed reads, refused deletes, unknown paths), and for the routes'
  // counters.
  const bob = await token({ sub: 'bob', roles: ['viewer'] });
  let sending = true;
  const traffic = (async () => {
    for (let i = 0; sending; i++) {
      await fetch(`${gw.url}/orders/${i}`, { method: i % 3 === 0 ? 'DELETE' : 'GET', headers: { authorization: `Bearer ${bob}` } });
      if (i % 5 === 0) await fetch(`${gw.url}/nowhere/${i}`);
      if (i % 4 === 0) await fetch(`${gw.url}/beta/${i}`, { headers: { authorization: `Bearer ${bob}` } });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  t.teardown(async () => {
    sending = false;
    await traffic;
  });
  for (const [name, path, ready] of PAGES) {
    await page.goto(`${gw.adminUrl}${path}`);
    await page.waitForSelector(ready, { state: 'attached' });
    // The chart has a few points: the page's CSP forbids the string evaluation waitForFunction uses, so poll from here.
    if (name === 'overview') {
      await until(async () => ((await page.getAttribute('svg.chart polyline.requests', 'points')) ?? '').split(' ').length >= 3);
      sending = false;
      await traffic;
    }
    const started = Date.now();
    t.same(await seriousViolations(page), [], `${name}: no serious or critical violation`);
    await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
    t.comment(`${name}: checked and captured in ${Date.now() - started} ms`);
  }
  sending = false;
  await traffic;
  const login = await browser.newPage();
  await login.goto(`${gw.adminUrl}/console/login`);
  t.same(await seriousViolations(login), [], 'login: no serious or critical violation');
  await login.screenshot({ path: `${SHOTS}login.png` });
  await login.close();
});

t.test('no page broke its CSP or threw', async (t) => {
  t.same(problems, []);
});
