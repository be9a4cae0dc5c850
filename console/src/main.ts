// The console's pages share one shell (index.html): this finds the session, marks the current page in the
// navigation, and draws the page the path names.
import { api, describe, toLogin, useSession, type Session } from './api.js';
import { notice, put } from './dom.js';
import { accessPage } from './pages/access.js';
import { auditPage } from './pages/audit.js';
import { explainPage } from './pages/explain.js';
import { overviewPage } from './pages/overview.js';
import { revocationsPage } from './pages/revocations.js';
import { routesPage } from './pages/routes.js';

export type Page = (root: HTMLElement, session: Session) => Promise<void> | void;

const PAGES: Record<string, { title: string; draw: Page }> = {
  '': { title: 'Overview', draw: overviewPage },
  routes: { title: 'Routes', draw: routesPage },
  explain: { title: 'Explain a decision', draw: explainPage },
  access: { title: 'Access', draw: accessPage },
  revocations: { title: 'Revocations', draw: revocationsPage },
  audit: { title: 'Audit', draw: auditPage },
};

async function start(): Promise<void> {
  const name = location.pathname.replace(/^\/console\/?/, '').replace(/\/$/, '');
  const page = PAGES[name] ?? PAGES['']!;
  document.title = `${page.title} · permgate console`;
  put(document.getElementById('title')!, page.title);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (link.getAttribute('href') === `/console/${name}`) link.setAttribute('aria-current', 'page');
  }
  const root = document.getElementById('page')!;
  let session: Session;
  try {
    session = await api<Session>('GET', '/console/api/session');
  } catch {
    toLogin();
    return;
  }
  useSession(session);
  put(document.getElementById('who')!, session.actor);
  document.getElementById('logout')!.addEventListener('click', async () => {
    await api('DELETE', '/console/api/session').catch(() => undefined);
    location.assign('/console/login');
  });
  try {
    await page.draw(root, session);
  } catch (err) {
    root.append(notice('error', describe(err)));
  }
}

void start();
