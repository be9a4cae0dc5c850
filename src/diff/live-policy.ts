// Reads what a running gateway enforces through its admin API, read-only: the roles in force (config and store), the
// subjects its config names and those the store holds, each subject's config and store records, and from /readyz the
// config file it runs. The admin API serves no route map, so routes come from that file (or from --against).
import type { PermissionEntry, RoleBinding, RoleDefinition, StaticPolicy, SubjectRecord } from '../rbac/model.js';
import type { StoredPart } from './policy-side.js';

export class AdminReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminReadError';
  }
}

export interface LivePolicy {
  readonly configured: StaticPolicy;
  readonly stored: StoredPart;
  /** The config file the gateway runs, as its /readyz names it (as it was given to `permgate start`). */
  readonly file: string | undefined;
}

/** Subject records fetched at once: enough to read thousands of subjects in seconds, few for the admin listener. */
const PARALLEL = 8;
const PAGE = 1000;
const TIMEOUT_MS = 10_000;

type Plain = Record<string, unknown>;
interface ViewEntry { readonly tenant?: string; readonly expires?: string }
interface SubjectView {
  readonly roles: readonly (ViewEntry & { readonly role: string })[];
  readonly grants: readonly (ViewEntry & { readonly code: string })[];
  readonly denies: readonly (ViewEntry & { readonly code: string })[];
}

function scope(entry: ViewEntry): { tenant?: string; expiresAt?: number } {
  return { ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}), ...(entry.expires !== undefined ? { expiresAt: Date.parse(entry.expires) } : {}) };
}

function record(view: SubjectView): SubjectRecord {
  return {
    roles: view.roles.map((b): RoleBinding => ({ role: b.role, ...scope(b) })),
    grants: view.grants.map((g): PermissionEntry => ({ code: g.code, ...scope(g) })),
    denies: view.denies.map((d): PermissionEntry => ({ code: d.code, ...scope(d) })),
  };
}

export async function readLivePolicy(adminUrl: string, token: string): Promise<LivePolicy> {
  const base = adminUrl.replace(/\/+$/, '');
  const get = async (path: string, authorized = true): Promise<Plain> => {
    let response: Response;
    try {
      // The admin API never redirects; following one could carry the token to another host.
      const headers: Record<string, string> = authorized ? { authorization: `Bearer ${token}` } : {};
      response = await fetch(base + path, { headers, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new AdminReadError(`cannot reach the admin API at ${base} (${(err as Error).message})`, { cause: err });
    }
    const body = (await response.json().catch(() => ({}))) as Plain;
    // /readyz answers 503 with a body while not ready: what it says is still what runs.
    if (!response.ok && !(path === '/readyz' && response.status === 503)) {
      const error = (body.error ?? {}) as Plain;
      const code = typeof error.code === 'string' ? ` ${error.code}` : '';
      throw new AdminReadError(`GET ${path} answered ${response.status}${code}${typeof error.detail === 'string' ? ` (${error.detail})` : ''}`);
    }
    return body;
  };

  const ready = await get('/readyz', false);
  const file = typeof (ready.config as Plain | undefined)?.file === 'string' ? ((ready.config as Plain).file as string) : undefined;

  const configuredRoles = new Map<string, RoleDefinition>();
  const storedRoles = new Map<string, RoleDefinition>();
  for (const role of ((await get('/admin/rbac/roles')).roles as (RoleDefinition & { source: string })[]) ?? []) {
    const { source, ...definition } = role;
    (source === 'config' ? configuredRoles : storedRoles).set(definition.name, { ...definition, grants: definition.grants ?? [], denies: definition.denies ?? [], inherits: definition.inherits ?? [] });
  }

  const names = new Set<string>();
  let cursor = '0';
  do {
    const page = await get(`/admin/rbac/subjects?count=${PAGE}&cursor=${encodeURIComponent(cursor)}`);
    for (const name of [...((page.configured as string[]) ?? []), ...((page.dynamic as string[]) ?? [])]) names.add(name);
    cursor = typeof page.cursor === 'string' ? page.cursor : '0';
  } while (cursor !== '0' && cursor !== '');

  const configuredSubjects = new Map<string, SubjectRecord>();
  const storedSubjects = new Map<string, SubjectRecord>();
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const view = await get(`/admin/rbac/subjects/${encodeURIComponent(name)}`);
      if (view.config !== null && view.config !== undefined) configuredSubjects.set(name, record(view.config as SubjectView));
      const dynamic = record(view.dynamic as SubjectView);
      if (dynamic.roles.length + dynamic.grants.length + dynamic.denies.length > 0) storedSubjects.set(name, dynamic);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return { configured: { roles: configuredRoles, subjects: configuredSubjects }, stored: { roles: storedRoles, subjects: storedSubjects }, file };
}
