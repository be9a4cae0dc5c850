// Explain: "may SUBJECT do METHOD PATH?" answered by the admin API's own decision (GET /admin/decision, the engine the
// data plane uses), with its trace: the route, the codes it requires, and for each code the grant or deny that
// decided it. The question stays in the address, so an answer can be sent to a colleague.
import { api, describe, query } from '../api.js';
import { field, h, notice, put } from '../dom.js';

interface CodeTrace { code: string; allowed: boolean; grantedBy: { pattern: string; via: string }[]; deniedBy: { pattern: string; via: string }[] }
interface Explanation {
  method: string;
  path: string;
  subject: string;
  decision: 'allow' | 'deny' | 'public' | 'refused';
  refusedWith?: string;
  route?: { pattern: string; upstream: string; sensitive: boolean };
  tenant?: string;
  required?: { mode: 'all' | 'any'; codes: string[] };
  codes?: CodeTrace[];
  roles?: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function trace(e: Explanation): HTMLElement {
  const verdict = { allow: 'ALLOWED', deny: 'REFUSED (403)', public: 'ALLOWED (public route)', refused: `REFUSED before RBAC (${e.refusedWith ?? ''})` }[e.decision];
  const steps = h('ol', { class: 'trace' });
  steps.append(h('li', {}, h('strong', {}, 'Route: '), e.route ? h('span', {}, h('code', {}, e.route.pattern), ` → upstream ${e.route.upstream}`, e.route.sensitive ? ' (sensitive)' : '') : 'no route'));
  if (e.required) steps.append(h('li', {}, h('strong', {}, 'Requires: '), `${e.required.mode === 'all' ? 'all of' : 'any of'} `, ...e.required.codes.flatMap((c, i) => [i > 0 ? ', ' : '', h('code', {}, c)])));
  if (e.roles) steps.append(h('li', {}, h('strong', {}, `Roles held${e.tenant ? ` in tenant ${e.tenant}` : ''}: `), e.roles.length > 0 ? e.roles.join(', ') : 'none'));
  for (const code of e.codes ?? []) {
    const status = code.allowed ? 'granted' : code.deniedBy.length > 0 ? 'denied' : 'missing';
    const reasons = h('ul', {},
      ...code.deniedBy.map((d) => h('li', {}, 'denied by ', h('code', {}, d.pattern), ` from ${d.via}`)),
      ...code.grantedBy.map((g) => h('li', {}, 'granted by ', h('code', {}, g.pattern), ` from ${g.via}`)),
      code.grantedBy.length + code.deniedBy.length === 0 ? h('li', {}, 'no role or grant of this subject covers it') : null);
    steps.append(h('li', {}, h('strong', {}, 'Code '), h('code', {}, code.code), ': ', h('span', { class: `badge ${status === 'granted' ? 'good' : 'bad'}` }, status), reasons));
  }
  return h('section', { 'aria-labelledby': 'verdict', class: 'result' },
    h('h2', { id: 'verdict' }, `${e.method} ${e.path} by ${e.subject}: `, h('span', { class: `badge ${e.decision === 'allow' || e.decision === 'public' ? 'good' : 'bad'}`, id: 'decision' }, verdict)),
    steps,
    e.decision === 'deny' ? h('p', {}, h('a', { href: `/console/access?subject=${encodeURIComponent(e.subject)}` }, `Change what ${e.subject} holds →`)) : null);
}

export async function explainPage(root: HTMLElement): Promise<void> {
  const given = new URLSearchParams(location.search);
  const sub = h('input', { id: 'x-sub', name: 'sub', required: true, autocomplete: 'off', value: given.get('sub') ?? '' });
  const method = h('select', { id: 'x-method', name: 'method' }, ...METHODS.map((m) => h('option', { value: m, selected: (given.get('method') ?? 'GET') === m }, m)));
  const path = h('input', { id: 'x-path', name: 'path', required: true, autocomplete: 'off', placeholder: '/orders/7', value: given.get('path') ?? '' });
  const roles = h('input', { id: 'x-roles', name: 'roles', autocomplete: 'off', value: given.get('roles') ?? '' });
  const tenant = h('input', { id: 'x-tenant', name: 'tenant', autocomplete: 'off', value: given.get('tenant') ?? '' });
  const out = h('div', { id: 'explanation' });
  const form = h('form', { class: 'grid', 'aria-label': 'The question' },
    field('Subject', sub, 'the sub of their token, e.g. alice'),
    field('Method', method),
    field('Path', path, 'as the client sent it'),
    field('Roles in the token (optional)', roles, 'comma-separated'),
    field('Tenant (optional)', tenant),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Explain')));
  const ask = async () => {
    const values = { sub: sub.value.trim(), method: method.value, path: path.value.trim(), roles: roles.value.trim(), tenant: tenant.value.trim() };
    history.replaceState(null, '', `/console/explain${query(values)}`);
    put(out, notice('info', 'Asking…'));
    try {
      put(out, trace(await api<Explanation>('GET', `/admin/decision${query(values)}`)));
    } catch (err) {
      put(out, notice('error', describe(err)));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void ask();
  });
  root.append(h('p', {}, 'The same engine as the data plane decides; nothing is sent to the upstream.'), form, out);
  if (sub.value !== '' && path.value !== '') await ask();
}
