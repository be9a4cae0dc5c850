// Overview: health and readiness, the store, breakers, certificates, version and config file, and a live chart of
// requests/s and refusals/s (by error code and status) from two successive /admin/traffic answers.
import { api, describe } from '../api.js';
import { formatRate, lineChart } from '../chart.js';
import { h, notice, put, table, when } from '../dom.js';

interface Status {
  version: string;
  node: string;
  startedAt: string;
  uptimeSeconds: number;
  ready: { code: number; status: string; store?: Record<string, unknown>; breakers?: Record<string, string>; config?: { file: string; routes: number }; draining?: boolean; refused?: unknown[] } & Record<string, unknown>;
  certificates: { listener: string; certFile: string; validTo: string; expiresInDays: number }[];
  consoleSessions: number;
}

interface Traffic {
  at: string;
  requests: number;
  refusals: { code: string; status: number; count: number }[];
}

const POLL_MS = 2_000;
const POINTS = 30;

function state(text: string, good: boolean): HTMLElement {
  return h('span', { class: `badge ${good ? 'good' : 'bad'}` }, text);
}

export async function overviewPage(root: HTMLElement): Promise<void> {
  const health = h('section', { 'aria-labelledby': 'health-h' }, h('h2', { id: 'health-h' }, 'Health'));
  const live = h('section', { 'aria-labelledby': 'live-h' }, h('h2', { id: 'live-h' }, 'Traffic, live'));
  const parts = h('section', { 'aria-labelledby': 'parts-h' }, h('h2', { id: 'parts-h' }, 'Breakers and certificates'));
  root.append(health, live, parts);

  try {
    const [healthz, status] = await Promise.all([fetch('/healthz').then((r) => r.ok), api<Status>('GET', '/admin/status')]);
    const ready = status.ready;
    const store = (ready.store ?? {}) as Record<string, unknown>;
    const dl = h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Process'), h('dd', {}, state(healthz ? 'alive' : 'not answering', healthz)),
      h('dt', {}, 'Readiness'), h('dd', {}, state(`${ready.status} (${ready.code})`, ready.code === 200)),
      h('dt', {}, 'Store'), h('dd', {}, state(store.ready === true ? 'reachable' : 'unreachable', store.ready === true), ' ', String(store.kind ?? '')),
      h('dt', {}, 'Version'), h('dd', {}, `permgate ${status.version} on Node ${status.node}`),
      h('dt', {}, 'Config file'), h('dd', {}, h('code', {}, ready.config?.file ?? '?'), ` — ${ready.config?.routes ?? 0} routes`),
      h('dt', {}, 'Started'), h('dd', {}, when(status.startedAt), ` (up ${Math.floor(status.uptimeSeconds / 60)} min)`),
      h('dt', {}, 'Console sessions'), h('dd', {}, String(status.consoleSessions)),
    );
    health.append(dl);
    const breakers = Object.entries(ready.breakers ?? {});
    parts.append(
      table('Circuit breakers', ['Breaker', 'State'], breakers.map(([name, value]) => [h('code', {}, name), state(value, value === 'closed')]), 'No breakers.'),
      table('Certificates', ['Listener', 'Certificate', 'Valid until', 'Days left'], status.certificates.map((c) => [c.listener, h('code', {}, c.certFile), when(c.validTo), state(String(c.expiresInDays), c.expiresInDays > 14)]), 'No TLS listener.'),
    );
  } catch (err) {
    health.append(notice('error', describe(err)));
  }

  // Rates from successive counters; a restart (counters going down) starts the series again.
  const chart = h('div', { class: 'chart-box' });
  const now = h('p', { class: 'rates', 'aria-live': 'polite' });
  const byReason = h('div');
  live.append(now, chart, byReason);
  const requests: number[] = [];
  const refusals: number[] = [];
  let last: Traffic | undefined;
  const poll = async () => {
    let traffic: Traffic;
    try {
      traffic = await api<Traffic>('GET', '/admin/traffic');
    } catch (err) {
      put(now, notice('error', describe(err)));
      return;
    }
    if (last !== undefined) {
      const seconds = Math.max(0.001, (Date.parse(traffic.at) - Date.parse(last.at)) / 1000);
      const refused = (t: Traffic) => t.refusals.reduce((sum, r) => sum + r.count, 0);
      if (traffic.requests >= last.requests) {
        requests.push((traffic.requests - last.requests) / seconds);
        refusals.push((refused(traffic) - refused(last)) / seconds);
        if (requests.length > POINTS) requests.shift(), refusals.shift();
      }
      const before = new Map(last.refusals.map((r) => [`${r.code} ${r.status}`, r.count]));
      const rows = traffic.refusals
        .map((r) => ({ ...r, rate: (r.count - (before.get(`${r.code} ${r.status}`) ?? 0)) / seconds }))
        .map((r) => [h('code', {}, r.code), String(r.status), formatRate(Math.max(0, r.rate)), String(r.count)]);
      put(byReason, table('Refusals by reason and status', ['Reason (error code)', 'Status', 'Per second now', 'Since start'], rows, 'No refusals since start.'));
      put(now, `${formatRate(requests.at(-1) ?? 0)} requests/s, ${formatRate(refusals.at(-1) ?? 0)} refusals/s — ${traffic.requests} requests since start`);
      put(chart, lineChart('Requests and refusals per second', [
        { label: 'requests/s', className: 'requests', values: requests },
        { label: 'refusals/s', className: 'refusals', values: refusals },
      ], POINTS), h('p', { class: 'legend' }, h('span', { class: 'key requests' }, 'requests/s'), ' ', h('span', { class: 'key refusals' }, 'refusals/s')));
    }
    last = traffic;
  };
  await poll();
  setInterval(() => void poll(), POLL_MS);
  setTimeout(() => void poll(), 500);
}
