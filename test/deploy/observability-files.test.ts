// deploy/grafana/permgate-dashboard.json and deploy/prometheus/permgate-alerts.yaml use only metrics a built gateway
// has: every permgate_* name in their queries is in the registry of a real gateway (process metrics on) or of a fleet
// primary, and every label a selector names is one of that metric's labels. The one exception is a metric of an open
// issue, listed in PENDING with the issue that brings it (the README says so too).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { FleetMetrics } from '../../src/fleet/fleet-metrics.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { DEPLOY_DIR } from './deploy-files.js';

/** Metrics the shipped rules use that a later issue adds: name → the issue. */
const PENDING: Readonly<Record<string, string>> = {};
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);

interface Known {
  readonly names: Set<string>;
  /** Base metric name → its label names, where the metric says. */
  readonly labels: Map<string, readonly string[]>;
}

async function knownMetrics(t: Test): Promise<Known> {
  const { gw } = await gatewayWithUpstream(t, (url) => `upstreams:\n  svc: { url: "${url}" }\nroutes:\n  - { path: /x, upstream: svc, auth: none }\n`, {}, { processMetrics: true });
  const fleet = new Registry();
  new FleetMetrics(fleet);
  const names = new Set<string>();
  const labels = new Map<string, readonly string[]>();
  for (const registry of [gw.gateway.metrics.registry, fleet]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
      const declared = (registry.getSingleMetric(metric.name) as { labelNames?: unknown } | undefined)?.labelNames;
      if (Array.isArray(declared)) labels.set(metric.name, declared as string[]);
    }
  }
  return { names, labels };
}

/** Every PromQL expression in the dashboard: panel targets and template queries. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(join(DEPLOY_DIR, 'grafana', 'permgate-dashboard.json'), 'utf8'));
  const queries: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof inner === 'string') queries.push(inner);
      else walk(inner);
    }
  };
  walk(dashboard.panels);
  walk(dashboard.templating);
  return queries;
}

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function alertRules(): Rule[] {
  const file = parse(readFileSync(join(DEPLOY_DIR, 'prometheus', 'permgate-alerts.yaml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** Metric names, and the label names each selector puts on a metric. */
function used(expr: string): { names: string[]; selectors: { name: string; labels: string[] }[] } {
  const names = [...expr.matchAll(/\bpermgate_[A-Za-z0-9_]+/g)].map((m) => m[0]);
  const selectors = [...expr.matchAll(/\b(permgate_[A-Za-z0-9_]+)\{([^}]*)\}/g)].map((m) => ({
    name: m[1]!,
    labels: [...m[2]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
  return { names, selectors };
}

function checkQueries(t: Test, known: Known, where: string, queries: readonly string[]): void {
  const missing = new Set<string>();
  const badLabels: string[] = [];
  for (const expr of queries) {
    const { names, selectors } = used(expr);
    for (const name of names) if (!known.names.has(name) && PENDING[name] === undefined) missing.add(name);
    for (const { name, labels } of selectors) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const declared = known.labels.get(known.labels.has(name) ? name : base);
      if (declared === undefined) continue;
      for (const label of labels) if (!TARGET_LABELS.has(label) && label !== 'le' && !declared.includes(label)) badLabels.push(`${name}{${label}}`);
    }
  }
  t.same([...missing], [], `${where}: every metric exists in a built gateway`);
  t.same(badLabels, [], `${where}: every label a selector names is the metric's`);
}

t.test('the Grafana dashboard queries only metrics and labels a built gateway has', async (t) => {
  const known = await knownMetrics(t);
  const queries = dashboardQueries();
  t.ok(queries.length >= 20, `${queries.length} queries found`);
  checkQueries(t, known, 'dashboard', queries);
});

t.test('the Prometheus rules use only metrics and labels a built gateway has (or one an open issue adds)', async (t) => {
  const known = await knownMetrics(t);
  const rules = alertRules();
  checkQueries(t, known, 'rules', rules.map((rule) => rule.expr));
  for (const name of Object.keys(PENDING)) t.notOk(known.names.has(name), `${name} exists now: take it off PENDING`);
});

t.test('the rules alert on what issue 14 names, each with a severity and a summary', async (t) => {
  const rules = alertRules();
  const byMetric = (metric: string): Rule | undefined => rules.find((rule) => rule.expr.includes(metric));
  for (const metric of ['permgate_breaker_state', 'permgate_store_up', 'permgate_denial_spikes_total', 'permgate_requests_total', 'permgate_tls_certificate_expiry_seconds']) {
    t.ok(byMetric(metric), `a rule on ${metric}`);
  }
  for (const rule of rules) {
    t.match(rule, { alert: /^Permgate[A-Za-z0-9]+$/, labels: { severity: /^(warning|critical)$/ }, annotations: { summary: String } }, rule.alert);
  }
  t.equal(new Set(rules.map((rule) => rule.alert)).size, rules.length, 'alert names are unique');
});
