// The console's defences, seen from a real browser: the page's headers and cookie flags; a page of another origin
// can neither frame the console nor make a change with its session (another port on the same host is "same-site", so
// SameSite=Strict lets the cookie go: the server's own origin check is what refuses it); a request from the console's
// own page without the CSRF token is refused; the self-edit rule shows in the preview and the change cannot be
// confirmed; logout ends the session.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { launchBrowser } from '../helpers/browser.js';
import { consoleGateway, CONSOLE_ADMIN_TOKEN } from '../helpers/console-gateway.js';
import { token } from '../helpers/tokens.js';

const { gw } = await consoleGateway(t);
const browser = await launchBrowser(t);
const context = await browser.newContext();
const page = await context.newPage();

// Another origin on the same host: the page an attacker would lure an admin to.
const other = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(req.url === '/frame' ? `<!doctype html><title>x</title><iframe id="f" src="${gw.adminUrl}/console/login"></iframe>` : '<!doctype html><title>elsewhere</title><p>elsewhere</p>');
});
await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;

const audit = async (action: string) => {
  const res = await fetch(`${gw.adminUrl}/admin/audit?action=${action}`, { headers: { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` } });
  return ((await res.json()) as { entries: unknown[] }).entries;
};

t.test('log in; the page comes with a strict CSP, frame-ancestors none, nosniff, no-referrer; the cookie is HttpOnly and SameSite=Strict', async (t) => {
  await page.goto(`${gw.adminUrl}/console/login`);
  await page.fill('#credential', CONSOLE_ADMIN_TOKEN);
  await page.fill('#name', 'Sam');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/console\/$/);
  const response = await page.goto(`${gw.adminUrl}/console/`);
  const headers = response!.headers();
  t.match(headers['content-security-policy'], /default-src 'self'/);
  t.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  t.match(headers['content-security-policy'], /base-uri 'none'/);
  t.notMatch(headers['content-security-policy'], /unsafe/);
  t.equal(headers['x-content-type-options'], 'nosniff');
  t.equal(headers['referrer-policy'], 'no-referrer');
  const [cookie] = await context.cookies();
  t.match(cookie, { name: 'permgate_console', httpOnly: true, sameSite: 'Strict', secure: false });
  t.equal(await page.textContent('#who'), 'admin-token:Sam');
});

t.test('another origin cannot frame the console: the browser refuses to render it (frame-ancestors)', async (t) => {
  const framing = await context.newPage();
  await framing.goto(`${otherUrl}/frame`);
  const frame = framing.frames().find((f) => f !== framing.mainFrame())!;
  await frame.waitForLoadState().catch(() => undefined);
  t.equal(await frame.locator('#credential').count(), 0, 'the login form never renders inside the frame');
  t.match(frame.url(), /^chrome-error:/, 'chromium shows its error page instead');
  // The same page on its own does render: the frame is refused for being a frame.
  const alone = await context.newPage();
  await alone.goto(`${gw.adminUrl}/console/login`);
  t.equal(await alone.locator('#credential').count(), 1);
  await alone.close();
  await framing.close();
});

t.test('a change sent from another origin with the session cookie is refused with PG_CONSOLE_CROSS_ORIGIN and changes nothing', async (t) => {
  const attacker = await context.newPage();
  await attacker.goto(otherUrl);
  // A "simple" request (no custom header, no JSON): the browser sends it, with the cookie, without asking first. Its
  // answer is not readable there (Cross-Origin-Resource-Policy), so the gateway's own count of refusals says why.
  const sent = await attacker.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).then(() => 'read', () => 'unreadable'), `${gw.adminUrl}/admin/reload`);
  t.equal(sent, 'unreadable', 'the attacker page cannot read the answer');
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_admin_refusals_total\{code="PG_CONSOLE_CROSS_ORIGIN"\} 1/, 'the gateway refused it for its origin (the cookie was sent)');
  t.same(await audit('config.reload'), [], 'no reload happened');
  await attacker.close();
});

t.test('a change from the console\'s own page without the CSRF token is refused with PG_CONSOLE_CSRF', async (t) => {
  const answer = await page.evaluate(async () => {
    const res = await fetch('/admin/revocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'bob' }) });
    return { status: res.status, body: await res.json() };
  });
  t.match(answer, { status: 403, body: { error: { code: 'PG_CONSOLE_CSRF' } } });
  t.same(await audit('revocation.subject'), [], 'nothing was revoked');
});

t.test('the self-edit rule shows in the preview: a JWT admin cannot confirm a change to their own grants', async (t) => {
  const jane = await browser.newContext();
  const janePage = await jane.newPage();
  await janePage.goto(`${gw.adminUrl}/console/login`);
  await janePage.fill('#credential', await token({ sub: 'jane', scope: undefined }));
  await janePage.click('button[type=submit]');
  await janePage.waitForURL(/\/console\/$/);
  await janePage.goto(`${gw.adminUrl}/console/access?subject=jane`);
  await janePage.waitForSelector('#a-value');
  await janePage.selectOption('#a-kind', 'grants');
  await janePage.fill('#a-value', 'order:delete');
  await janePage.click('#a-submit');
  await janePage.locator('dialog').waitFor();
  t.match(await janePage.textContent('dialog'), /will refuse this: PG_ADMIN_FORBIDDEN: nobody may change their own roles or grants/);
  t.equal(await janePage.isDisabled('#confirm'), true, 'Apply cannot be pressed');
  await jane.close();
});

t.test('logging out ends the session on the server; the pages send the person to the login again', async (t) => {
  const [before] = await context.cookies();
  await page.goto(`${gw.adminUrl}/console/`);
  await page.click('#logout');
  await page.waitForURL(/\/console\/login$/);
  await page.goto(`${gw.adminUrl}/console/audit`);
  t.match(page.url(), /\/console\/login\?next=audit$/);
  const replay = await fetch(`${gw.adminUrl}/admin/audit`, { headers: { cookie: `${before!.name}=${before!.value}` } });
  t.equal(replay.status, 401, 'the old cookie, replayed, is refused');
});
