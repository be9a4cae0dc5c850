// The login page: the admin token (with the person's name, for the audit trail) or an admin's JWT, exchanged for a
// session cookie the page's scripts never see. `next` may only name one of the console's own pages.
import { api, describe } from './api.js';
import { notice } from './dom.js';

const PAGES = ['', 'routes', 'explain', 'access', 'revocations', 'audit'];

function nextPage(): string {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  const [page = '', search = ''] = next.split('?', 2);
  return PAGES.includes(page) ? `/console/${page}${search ? `?${search}` : ''}` : '/console/';
}

const form = document.getElementById('login') as HTMLFormElement;
const message = document.getElementById('message')!;
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  message.replaceChildren();
  try {
    await api('POST', '/console/api/session', { credential: String(data.get('credential') ?? ''), name: String(data.get('name') ?? '') });
    location.assign(nextPage());
  } catch (err) {
    message.append(notice('error', describe(err)));
  }
});
