// Audit: the trail (who changed what, and sampled denials) with filters and paging; what shadow mode would have
// refused; grants unused for N days (least privilege); routes no request reached (coverage).
import { api, describe, query } from '../api.js';
import { field, h, isoOf, notice, put, table, when } from '../dom.js';

interface AuditRecord { id: string; kind: string; at: number; actor: string; action: string; target: string; before?: unknown; after?: unknown; truncated?: true }
interface Shadow { since: string | null; complete: boolean; total: number; shadowed: { route: string; stages: string[] }[]; refusals: { route: string; stage: string; code: string; permission: string | null; subject: string | null; count: number; last: string }[] }
interface Unused { days: number; complete: boolean; recordingSince: string | null; roles: { role: string; unused: { pattern: string; tenant?: string; lastUsed: string | null }[] }[]; subjects: { subject: string; unused: { pattern: string; role?: string; tenant?: string; lastUsed: string | null }[] }[] }
interface Coverage { since: string; routes: { pattern: string; method: string; hits: number; lastHit: string | null }[]; neverHit: { pattern: string; method: string }[]; notFound: { templates: { template: string; count: number }[] } }

const PAGE = 25;

function json(value: unknown): HTMLElement | string {
  if (value === undefined) return '';
  return h('details', {}, h('summary', {}, 'show'), h('pre', {}, JSON.stringify(value, null, 2)));
}

function section(id: string, title: string): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title));
}

export async function auditPage(root: HTMLElement): Promise<void> {
  const trail = section('trail-h', 'Audit trail');
  const shadow = section('shadow-h', 'Shadow mode: what would have been refused');
  const unused = section('unused-h', 'Least privilege: grants not used');
  const coverage = section('coverage-h', 'Coverage: routes no request reached');
  root.append(h('nav', { 'aria-label': 'Sections', class: 'toc' }, h('a', { href: '#trail-h' }, 'Trail'), ' · ', h('a', { href: '#shadow-h' }, 'Shadow'), ' · ', h('a', { href: '#unused-h' }, 'Least privilege'), ' · ', h('a', { href: '#coverage-h' }, 'Coverage')), trail, shadow, unused, coverage);

  // --- the trail ---------------------------------------------------------------------------------------------
  // Changes first: "who changed a role yesterday" is the usual question; sampled denials are one choice away.
  const kind = h('select', { id: 'f-kind' }, h('option', { value: 'change', selected: true }, 'changes'), h('option', { value: 'denial' }, 'denials'), h('option', { value: '' }, 'all'));
  const actor = h('input', { id: 'f-actor', autocomplete: 'off' });
  const action = h('input', { id: 'f-action', autocomplete: 'off', placeholder: 'rbac.binding.add' });
  const target = h('input', { id: 'f-target', autocomplete: 'off' });
  const from = h('input', { id: 'f-from', type: 'datetime-local' });
  const to = h('input', { id: 'f-to', type: 'datetime-local' });
  const filters = h('form', { class: 'grid', 'aria-label': 'Filters' },
    field('Kind', kind), field('Actor', actor), field('Action', action), field('Subject or target', target), field('From', from), field('To', to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  const results = h('div');
  trail.append(filters, results);
  // Pages go back through the cursors already seen; the API pages from newest to oldest.
  let cursors: (string | undefined)[] = [undefined];
  const load = async (page: number) => {
    const params = { kind: kind.value, actor: actor.value.trim(), action: action.value.trim(), target: target.value.trim(), from: isoOf(from.value), to: isoOf(to.value), cursor: cursors[page], limit: PAGE };
    try {
      const answer = await api<{ entries: AuditRecord[]; next?: string }>('GET', `/admin/audit${query(params)}`);
      cursors = cursors.slice(0, page + 1);
      if (answer.next) cursors.push(answer.next);
      const older = h('button', { type: 'button', disabled: answer.next === undefined, onclick: () => void load(page + 1) }, 'Older');
      const newer = h('button', { type: 'button', disabled: page === 0, onclick: () => void load(page - 1) }, 'Newer');
      put(results,
        table(`Entries, page ${page + 1}`, ['When', 'Kind', 'Actor', 'Action', 'Target', 'Before', 'After'], answer.entries.map((e) => [when(e.at), e.kind, h('code', {}, e.actor), e.action, h('code', {}, e.target), json(e.before), json(e.after)]), 'No entry matches.'),
        h('div', { class: 'actions' }, newer, older));
    } catch (err) {
      put(results, notice('error', describe(err)));
    }
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors = [undefined];
    void load(0);
  });

  // --- reports -----------------------------------------------------------------------------------------------
  const shadowReport = async () => {
    try {
      const r = await api<Shadow>('GET', '/admin/shadow/refusals?limit=200');
      shadow.append(
        h('p', {}, r.shadowed.length > 0 ? `Routes in shadow mode: ${r.shadowed.map((s) => `${s.route} (${s.stages.join(', ')})`).join('; ')}.` : 'No route is in shadow mode.', ` ${r.total} would-be refusals${r.complete ? '' : ' (older counts were dropped)'}.`),
        table('Would-be refusals', ['Route', 'Stage', 'Code', 'Permission', 'Subject', 'Count', 'Last'], r.refusals.map((x) => [h('code', {}, x.route), x.stage, x.code, x.permission ?? '', x.subject ?? '', String(x.count), when(x.last)]), 'None.'));
    } catch (err) {
      shadow.append(notice('error', describe(err)));
    }
  };
  const days = h('input', { id: 'u-days', type: 'number', min: 1, max: 400, value: 30 });
  const unusedOut = h('div');
  const unusedForm = h('form', { class: 'inline' }, field('Unused for days', days), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  unused.append(unusedForm, unusedOut);
  const unusedReport = async () => {
    try {
      const r = await api<Unused>('GET', `/admin/rbac/unused${query({ days: days.value })}`);
      const rows = [
        ...r.roles.flatMap((role) => role.unused.map((u) => [`role ${role.role}`, h('code', {}, u.pattern), u.tenant ?? '', when(u.lastUsed)])),
        ...r.subjects.flatMap((s) => s.unused.map((u) => [`subject ${s.subject}${u.role ? ` (role ${u.role})` : ''}`, h('code', {}, u.pattern), u.tenant ?? '', when(u.lastUsed)])),
      ];
      put(unusedOut, h('p', {}, r.complete ? `Use recorded over all ${r.days} days.` : `Use recorded only since ${r.recordingSince ?? 'now'}: the report is partial.`),
        table(`Grants not used in ${r.days} days`, ['Held by', 'Grant', 'Tenant', 'Last used'], rows, 'Every grant was used.'));
    } catch (err) {
      put(unusedOut, notice('error', describe(err)));
    }
  };
  unusedForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void unusedReport();
  });
  const coverageReport = async () => {
    try {
      const r = await api<Coverage>('GET', '/admin/coverage');
      coverage.append(
        table(`Never reached since ${new Date(r.since).toLocaleString()}`, ['Route', 'Method'], r.neverHit.map((n) => [h('code', {}, n.pattern), n.method]), 'Every route was reached.'),
        table('Paths no route matched (404), by template', ['Template', 'Count'], r.notFound.templates.map((t) => [h('code', {}, t.template), String(t.count)]), 'None.'));
    } catch (err) {
      coverage.append(notice('error', describe(err)));
    }
  };
  await Promise.all([load(0), shadowReport(), unusedReport(), coverageReport()]);
}
