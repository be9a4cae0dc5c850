// `permgate diff` as text, in the manner of `deck diff`: `+` added, `-` removed, `~` changed, one section per kind,
// then the access table (who gains and who loses what) and a count.
import type { ConfigDiff } from './config-diff.js';
import type { NamedChange } from './rbac-diff.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
}

function named(kind: string, d: { added: readonly NamedChange[]; removed: readonly NamedChange[]; changed: readonly NamedChange[] }): string[] {
  const out: string[] = [];
  const block = (mark: string, c: NamedChange): void => {
    const origin = c.was !== undefined ? ` (${c.was} → ${c.source}: now defined by the ${c.source})` : c.source === 'store' ? ' (store)' : '';
    out.push(`${mark} ${kind} ${c.name}${origin}`);
    for (const e of c.entries) out.push(`    ${e.change} ${e.entry}`);
  };
  for (const c of d.added) block('+', c);
  for (const c of d.removed) block('-', c);
  for (const c of d.changed) block('~', c);
  return out;
}

export function diffText(diff: ConfigDiff): string {
  const out: string[] = [`permgate diff: ${diff.after} against ${diff.before}`];
  for (const note of diff.notes) out.push(`note: ${note}`);
  const section = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    out.push('', title, ...lines.map((l) => `  ${l}`));
  };
  if (diff.routes !== null) {
    const lines: string[] = [];
    const methods = (m: Readonly<Record<string, string>>): string => Object.entries(m).map(([method, code]) => `${method} ${code}`).join(', ');
    for (const r of diff.routes.added) lines.push(`+ ${r.pattern}  ${methods(r.methods)}`);
    for (const r of diff.routes.removed) lines.push(`- ${r.pattern}  ${methods(r.methods)}`);
    for (const r of diff.routes.changed) {
      lines.push(`~ ${r.pattern}${r.was !== undefined ? ` (was ${r.was})` : ''}`);
      for (const m of r.methods) {
        if (m.before === undefined) lines.push(`    + ${m.method} ${m.after}`);
        else if (m.after === undefined) lines.push(`    - ${m.method} ${m.before}`);
        else lines.push(`    ~ ${m.method} ${m.before} → ${m.after}`);
      }
      if (r.rateLimit !== undefined) lines.push(`    ~ rateLimit ${r.rateLimit.before} → ${r.rateLimit.after}`);
      for (const s of r.settings) lines.push(`    ~ ${s.key} ${s.before} → ${s.after}`);
    }
    section('routes', lines);
  }
  section('rate limits (defaults)', diff.rateLimits.map((s) => `~ ${s.key} ${s.before} → ${s.after}`));
  section('what tokens hold by themselves', diff.tokenTrust.map((s) => `~ ${s.key} ${s.before} → ${s.after}`));
  section('roles', named('role', diff.rbac.roles));
  section('subjects (config)', named('subject', diff.rbac.subjects));
  if (diff.access.length > 0) {
    const rows = [['', 'WHO', 'TENANT', 'ON', 'CHANGE']];
    for (const a of diff.access) {
      rows.push([a.change === 'gains' ? '+' : '-', a.kind === 'token-role' ? `(token role) ${a.holder}` : a.holder, a.tenant ?? '-', a.on, a.change]);
    }
    section('access', table(rows));
    if (diff.access.some((a) => a.on.includes('{'))) out.push('  ({param} in a code: any value no grant or deny names; named values are listed one by one)');
  }
  const scope = diff.routes === null ? ' (routes and rate limits not compared)' : '';
  out.push('', diff.changes === 0 ? `no changes${scope}` : `${diff.changes} change${diff.changes === 1 ? '' : 's'}${scope}`);
  return out.join('\n');
}
