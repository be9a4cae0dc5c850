// Routes: the route table in force, filterable, with each route's hits and refusals since start and its lint
// findings beside it.
import { api } from '../api.js';
import { field, h, put, table } from '../dom.js';

interface Finding { severity: 'error' | 'warning'; rule: string; message: string; line?: number; keyPath?: string; record?: string }
interface Route {
  index: number;
  pattern: string;
  methods: string[];
  public: boolean;
  permissions: Record<string, string>;
  upstream: { name: string; origin: string };
  limits: string;
  flags: string[];
  line: number;
  findings: Finding[];
  hits: number;
  refusals: number;
}
interface RouteTable { file: string; routes: Route[]; findings: Finding[]; unmatched: { hits: number; refusals: number } }

function codes(route: Route): HTMLElement {
  if (route.public) return h('em', {}, 'public');
  const byCode = new Map<string, string[]>();
  for (const [method, code] of Object.entries(route.permissions)) byCode.set(code, [...(byCode.get(code) ?? []), method]);
  return h('ul', { class: 'plain' }, ...[...byCode].map(([code, methods]) => h('li', {}, byCode.size > 1 ? `${methods.join(', ')}: ` : '', h('code', {}, code))));
}

function findings(list: readonly Finding[]): HTMLElement | string {
  if (list.length === 0) return '';
  return h('ul', { class: 'plain findings' }, ...list.map((f) => h('li', { class: f.severity }, h('strong', {}, `${f.severity} ${f.rule}`), `: ${f.message}`)));
}

export async function routesPage(root: HTMLElement): Promise<void> {
  const data = await api<RouteTable>('GET', '/admin/routes');
  const filter = h('input', { id: 'route-filter', type: 'search', autocomplete: 'off' });
  const flagged = h('input', { id: 'route-flagged', type: 'checkbox' });
  const summary = h('p', { 'aria-live': 'polite' });
  const holder = h('div', { class: 'scroll' });
  root.append(
    h('p', {}, 'From ', h('code', {}, data.file), `; requests no route matched: ${data.unmatched.hits}.`),
    data.findings.length > 0 ? h('section', { 'aria-labelledby': 'lint-h' }, h('h2', { id: 'lint-h' }, 'Lint findings about the policy'), findings(data.findings)) : '',
    h('form', { role: 'search', class: 'inline', onsubmit: (e: Event) => e.preventDefault() },
      field('Filter (pattern, code, upstream, flag)', filter),
      h('div', { class: 'field check' }, flagged, h('label', { for: 'route-flagged' }, 'Only routes with lint findings'))),
    summary,
    holder,
  );
  const draw = () => {
    const needle = filter.value.trim().toLowerCase();
    const shown = data.routes.filter((route) => {
      if (flagged.checked && route.findings.length === 0) return false;
      if (needle === '') return true;
      const text = [route.pattern, ...route.methods, ...Object.values(route.permissions), route.upstream.name, route.upstream.origin, ...route.flags, route.limits].join(' ').toLowerCase();
      return text.includes(needle);
    });
    put(summary, `${shown.length} of ${data.routes.length} routes.`);
    put(holder, table('Route table', ['Pattern', 'Methods', 'Permission code', 'Upstream', 'Rate limits', 'Flags', 'Hits', 'Refusals', 'Lint'], shown.map((route) => [
      h('code', {}, route.pattern),
      route.methods.length === 7 ? 'any' : route.methods.join(', '),
      codes(route),
      h('span', {}, route.upstream.name, h('br'), h('small', {}, route.upstream.origin)),
      route.limits,
      route.flags.length > 0 ? h('ul', { class: 'plain flags' }, ...route.flags.map((f) => h('li', {}, h('span', { class: `flag ${f.split(':')[0]}` }, f)))) : '',
      String(route.hits),
      String(route.refusals),
      findings(route.findings),
    ]), 'No route matches the filter.'));
  };
  filter.addEventListener('input', draw);
  flagged.addEventListener('change', draw);
  draw();
}
