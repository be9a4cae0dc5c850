// `permgate unused --admin URL [--days 30] [--json]`: the least-privilege report of a running gateway
// (GET /admin/rbac/unused), every page of subjects followed. The admin token comes from PERMGATE_ADMIN_TOKEN, never
// from argv (argv is visible to every user of the machine).
import type { UnusedGrant, UnusedReport } from '../privilege/unused-grants.js';

export interface UnusedOptions {
  readonly admin: string;
  readonly token: string;
  readonly days?: string | undefined;
}

export class UnusedCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusedCommandError';
  }
}

/** Pages followed at most: 1,000 pages of 1,000 subjects. */
const MAX_PAGES = 1_000;

export async function readUnused(options: UnusedOptions): Promise<UnusedReport> {
  let report: UnusedReport | undefined;
  const subjects: UnusedReport['subjects'][number][] = [];
  let cursor = '0';
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL('/admin/rbac/unused', options.admin);
    if (options.days !== undefined) url.searchParams.set('days', options.days);
    url.searchParams.set('count', '1000');
    if (cursor !== '0') url.searchParams.set('cursor', cursor);
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new UnusedCommandError(`${url.origin}: not reachable (${(err as Error).message})`);
    }
    const body = (await response.json().catch(() => undefined)) as (UnusedReport & { next: string; error?: { code?: string; detail?: string } }) | undefined;
    if (!response.ok || body === undefined) {
      const error = body?.error;
      throw new UnusedCommandError(`GET /admin/rbac/unused answered ${response.status}${error?.code ? ` ${error.code}` : ''}${error?.detail ? `: ${error.detail}` : ''}`);
    }
    report ??= body;
    subjects.push(...body.subjects);
    cursor = body.next;
    if (cursor === '0') break;
  }
  const { days, today, from, recordingSince, complete, roles } = report!;
  return { days, today, from, recordingSince, complete, roles, subjects };
}

function grantText(grant: UnusedGrant, withHolder: boolean): string {
  const holder = grant.role !== undefined ? ` (role ${grant.role})` : grant.tenant !== undefined ? ` (direct, tenant ${grant.tenant})` : withHolder ? ' (direct)' : '';
  return `    ${`${grant.pattern}${holder}`.padEnd(48)} ${grant.lastUsed === null ? 'never used' : `last used ${grant.lastUsed}`}`;
}

export function unusedText(report: UnusedReport): string {
  const lines = [`grants not used in the last ${report.days} days (${report.from} to ${report.today}, UTC)`];
  if (!report.complete) {
    lines.push(report.recordingSince === null
      ? '  nothing recorded yet: every grant below reads as unused (is rbac.usage.record on?)'
      : `  recorded only since ${report.recordingSince}: a grant below may have been used before that`);
  }
  lines.push(`roles with unused grants: ${report.roles.length}`);
  for (const role of report.roles) {
    lines.push(`  ${role.role}`);
    for (const grant of role.unused) lines.push(grantText(grant, false));
  }
  lines.push(`subjects with unused grants: ${report.subjects.length}`);
  for (const subject of report.subjects) {
    lines.push(`  ${subject.subject}`);
    for (const grant of subject.unused) lines.push(grantText(grant, true));
  }
  return lines.join('\n');
}
